/* The darkrt program's OpenMP threads wait passively: libgomp (brought by oneDNN) spins by default
 * between parallel regions, and on a machine whose cores other processes also use, spinning
 * threads burn the time slices the working ones need (darkrt bench: 49 ms median, 265 ms p90 with
 * two busy processes on 2 cores, against 5 ms passive; one-image detect: 0.5 s of CPU spun against
 * 0.04 s passive). libgomp reads its settings in its constructor from the environment the process
 * started with: a setenv before it (even from .preinit_array, which runs first) is lost when libc
 * sets environ up. So
 * the program re-executes itself once, from .preinit_array (before any library initialises), with
 * OMP_WAIT_POLICY=passive and GOMP_SPINCOUNT=0 added. Only this program is affected: libdarkrt
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
    env[n + 1] = "GOMP_SPINCOUNT=0";
    env[n + 2] = NULL;
    execve("/proc/self/exe", argv, env); /* returns only on failure: then run on, spinning */
    free(env);
}

__attribute__((section(".preinit_array"), used)) static void (*const preinit)(int, char **, char **) = passive_wait;
