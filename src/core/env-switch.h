/* The library's debug switches from the environment (HACKING.md, Environment variables), read one way: a value a
 * switch does not take is logged once, not silently read as the default (`=on` would measure the default path). */
#ifndef DRT_CORE_ENV_SWITCH_H
#define DRT_CORE_ENV_SWITCH_H

/* The variable `name` as a switch: -1 when unset or empty (the default), 0 for "0", 1 for "1", 2 for `named`
 * (the switch's one other value, e.g. "all"; NULL: none). Any other value also gives -1, and the first time a
 * variable has one in the process, a warning through the log: "NAME=VALUE: not a value it takes (0 or 1): the
 * default is used". Thread-safe. */
int drt_env_switch(const char *name, const char *named);

#endif
