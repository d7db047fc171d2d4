/* tools/hatctl/cmds.h -- hatctl's subcommands. Each takes the arguments after the subcommand
 * name (argv[0] is the subcommand, e.g. "key"), prints to stdout/stderr and returns the
 * process exit code (0 ok, 1 failure, 2 usage). */
#ifndef HAT_TOOLS_HATCTL_CMDS_H
#define HAT_TOOLS_HATCTL_CMDS_H

/* hatctl key new|import|address (tools/hatctl/cmd_key.c) */
int hatctl_key(int argc, char **argv);
/* hatctl audit verify FILE (tools/hatctl/cmd_audit.c) */
int hatctl_audit(int argc, char **argv);

#endif
