/* The darkrt program's OpenMP threads wait passively: libgomp (brought by oneDNN) spins by default
 * between parallel regions, and on a machine whose cores other processes also use, spinning
 * threads burn the time slices the working ones need (darkrt bench: 49 ms median, 265 ms p90 with
 * two busy processes on 2 cores, against 5 ms passive). libgomp reads OMP_WAIT_POLICY once, in its
 * constructor, before main; an executable's .preinit_array runs before any library's constructor,
 * so the setting is made there. Only this program is affected: libdarkrt leaves a host
 * application's OpenMP alone. An OMP_WAIT_POLICY the user set is kept. */
#include <stdlib.h>

static void passive_wait(int argc, char **argv, char **envp)
{
    (void)argc, (void)argv, (void)envp;
    setenv("OMP_WAIT_POLICY", "passive", 0);
}

__attribute__((section(".preinit_array"), used)) static void (*const preinit)(int, char **, char **) = passive_wait;
