/* The darkrt CLI's commands: each lives in cli/cmd-<name>.c and returns the exit code. */
#ifndef DRT_CLI_COMMANDS_H
#define DRT_CLI_COMMANDS_H

int drt_cmd_inspect(int argc, char **argv);
int drt_cmd_synth(int argc, char **argv);
int drt_cmd_convert(int argc, char **argv);
int drt_cmd_build(int argc, char **argv);
int drt_cmd_detect(int argc, char **argv);
int drt_cmd_compare(int argc, char **argv);
int drt_cmd_bench(int argc, char **argv);
int drt_cmd_eval(int argc, char **argv);
int drt_cmd_run(int argc, char **argv);

#endif
