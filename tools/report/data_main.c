/* tools/report/data_main.c -- hat-data: `hatctl data` as a program of its own (same code,
 * tools/hatctl/cmd_data.c), usable before and without hatctl: hat-data ls|export|compact ... */
#include "tools/hatctl/cmd_data.h"

int main(int argc, char **argv)
{
	argv[0] = (char *)"data";
	return hatctl_data(argc, argv);
}
