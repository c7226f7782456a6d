/* The darkrt program's OpenMP threads spin briefly, then sleep: libgomp (brought by oneDNN) spins by default
 * between parallel regions for 300000 rounds (or for ever, active), and on a machine whose cores other processes
 * also use, spinning threads burn the time slices the working ones need (darkrt bench: 49 ms median, 265 ms p90
 * with two busy processes on 2 cores, against 5 ms passive; one-image detect: 0.5 s of CPU spun against 0.04 s
 * passive). Sleeping at once (passive, GOMP_SPINCOUNT=0) costs a futex wake at every layer instead: yolo-fastest
 * at 2 threads took 6.0 ms idle against 2.0 ms spinning. 10000 rounds (~0.1 ms, libgomp's estimate of 100000 a
 * ms) keep 2.0 ms idle and, with four busy processes on the 2 cores, 11.4 ms median / 15-20 ms p90 against
 * passive's 14-22 / 34 and active's 11.4 / 83-285 (session 14; bench/results/cpu-2026-12-05.md). Passive stays
 * the policy, so libgomp's throttled count (when its threads outnumber the CPUs) is 0: no spin then.
 * libgomp reads its settings in its constructor from the environment the process
 * started with: a setenv before it (even from .preinit_array, which runs first) is lost when libc
 * sets environ up. So
 * the program re-executes itself once, from .preinit_array (before any library initialises), with
 * OMP_WAIT_POLICY=passive and GOMP_SPINCOUNT=10000 added. Only this program is affected: libdarkrt
 * leaves a host application's OpenMP alone. A setting the user made is kept (and no re-exec). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void passive_wait(int argc, char **argv, char **envp)
{
    (void)argc;
    size_t n = 0; /* envp, not getenv: libc sets environ up after .preinit_array */
    for (; envp[n]; n++)
        if (!strncmp(envp[n], "OMP_WAIT_POLICY=", 16) || !strncmp(envp[n], "GOMP_SPINCOUNT=", 15)) return;
    char **env = malloc((n + 3) * sizeof *env);
    if (!env) return;
    memcpy(env, envp, n * sizeof *env);
    env[n] = "OMP_WAIT_POLICY=passive";
    env[n + 1] = "GOMP_SPINCOUNT=10000";
    env[n + 2] = NULL;
    execve("/proc/self/exe", argv, env); /* returns only on failure: then run on, spinning */
    free(env);
}

__attribute__((section(".preinit_array"), used)) static void (*const preinit)(int, char **, char **) = passive_wait;
