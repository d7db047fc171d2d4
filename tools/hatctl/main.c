/* tools/hatctl/main.c -- hatctl: the operator's command line over superd's control socket.
 *
 * Exit codes (tools/hatctl/ctl.h): 0 done, 1 refused by superd (its error printed) or the
 * pipeline is not healthy (status --check), 2 usage, superd not reachable, or a garbled answer.
 */
#include "common/compiler.h"
#include "common/config.h"
#include "tools/hatctl/cfgcmd.h"
#include "tools/hatctl/client.h"
#include "tools/hatctl/cmd_data.h"
#include "tools/hatctl/cmds.h"
#include "tools/hatctl/ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: hatctl [--config FILE] [--instance NAME] [--socket PATH] [--timeout-ms N] COMMAND\n"
	"commands:\n"
	"  status [--json|--summary] [-v]   stages: run state, pid, uptime, restarts, heartbeat,\n"
	"                                   ready, key counters (-v: every counter)\n"
	"  restart STAGE                    clean restart of one stage (feedd|signald|riskd|execd)\n"
	"  halt [--why TEXT]                halt trading: riskd refuses new exposure, execd cancels\n"
	"  resume [--why TEXT]              resume trading after a halt\n"
	"  cancel-all [--why TEXT]          cancel every open order now\n"
	"  stop                             stop the pipeline (cancel-all first) and superd\n"
	"  key new|import|address ...       execd's encrypted keystore (hatctl key for details)\n"
	"  audit verify FILE                check execd's audit trail (hash chain)\n"
	"  data ls|export|compact ...       journals and audit trails on disk (hatctl data --help)\n"
	"  config get KEY                   print one value of the config (venue.http, ...)\n"
	"  config set KEY=VALUE... --out F  write a copy of the config with values changed\n"
	"  help                             this text\n"
	"The config (default etc/hat.json) gives the instance and paths.run_dir; the control socket\n"
	"is <run_dir>/superd.<instance>.sock. Exit codes: 0 ok, 1 refused by superd, 2 usage or\n"
	"superd not reachable.\n";

struct opts {
	const char *config, *instance, *socket;
	int timeout_ms;
};

static int die_usage(const char *fmt, ...) HAT_PRINTF(1, 2);
static int die_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "hatctl: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(hatctl help for the commands)\n");
	return HATCTL_USAGE;
}

static int config_cmd(const struct opts *o, int argc, char **argv)
{
	struct hat_config_doc doc;
	char err[512];
	if (argc < 2)
		return die_usage("config: need get KEY or set KEY=VALUE... --out FILE");
	if (hat_config_doc_load(&doc, o->config, err, sizeof err) != 0) {
		fprintf(stderr, "hatctl: %s\n", err);
		return HATCTL_USAGE;
	}
	int rc = HATCTL_OK;
	struct hat_buf out = HAT_BUF_INIT;
	if (!strcmp(argv[1], "get") && argc == 3) {
		if (hatctl_config_get(&doc, argv[2], &out, err, sizeof err) != 0)
			rc = HATCTL_REFUSED;
		else
			printf("%s\n", out.data ? out.data : "");
	} else if (!strcmp(argv[1], "set")) {
		const char *dst = NULL;
		for (int i = 2; i < argc && rc == HATCTL_OK; i++) {
			char *eq = strchr(argv[i], '=');
			if (!strcmp(argv[i], "--out") && i + 1 < argc) {
				dst = argv[++i];
			} else if (!eq) {
				snprintf(err, sizeof err, "config set: expected KEY=VALUE, got '%s'", argv[i]);
				rc = HATCTL_USAGE;
			} else {
				*eq = '\0';
				if (hatctl_config_set(&doc, argv[i], eq + 1, err, sizeof err) != 0)
					rc = HATCTL_USAGE;
				*eq = '=';
			}
		}
		if (rc == HATCTL_OK && !dst) {
			snprintf(err, sizeof err, "config set: --out FILE is required");
			rc = HATCTL_USAGE;
		}
		if (rc == HATCTL_OK && hatctl_config_write(&doc, dst, err, sizeof err) != 0)
			rc = HATCTL_USAGE;
	} else {
		snprintf(err, sizeof err, "config: need get KEY or set KEY=VALUE... --out FILE");
		rc = HATCTL_USAGE;
	}
	if (rc != HATCTL_OK)
		fprintf(stderr, "hatctl: %s\n", err);
	hat_buf_free(&out);
	hat_config_doc_free(&doc);
	return rc;
}

/* Sends one command; for status, formats the answer per mode. */
static int ctl_cmd(const struct opts *o, const char *cmd, const char *stage, const char *why,
		   int mode, unsigned flags)
{
	struct hat_config cfg;
	struct hat_config_doc doc;
	char err[1024], sock[600];
	if (hat_config_load(&cfg, &doc, o->config, err, sizeof err) != 0) {
		fprintf(stderr, "hatctl: %s\n", err);
		return HATCTL_USAGE;
	}
	hat_config_doc_free(&doc);
	const char *inst = o->instance ? o->instance : cfg.instance;
	if (o->socket)
		snprintf(sock, sizeof sock, "%s", o->socket);
	else
		snprintf(sock, sizeof sock, "%s/superd.%s.sock", cfg.paths.run_dir, inst);
	struct hat_buf req = HAT_BUF_INIT, resp = HAT_BUF_INIT, out = HAT_BUF_INIT;
	hatctl_request(&req, cmd, stage, why);
	int rc = hatctl_call(sock, inst, req.data, o->timeout_ms, &resp, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "hatctl: %s\n", err);
		rc = HATCTL_USAGE;
		goto done;
	}
	rc = hatctl_response(resp.data, resp.len, err, sizeof err);
	if (rc != HATCTL_OK) {
		fprintf(stderr, "hatctl: %s%s\n", rc == HATCTL_REFUSED ? "superd refused: " : "", err);
		goto done;
	}
	if (strcmp(cmd, "status") != 0) {
		printf("%s%s%s: ok\n", strcmp(cmd, "cancel_all") ? cmd : "cancel-all", stage ? " " : "",
		       stage ? stage : "");
		goto done;
	}
	int frc = 0;
	if (mode == 'j')
		hat_buf_printf(&out, "%s\n", resp.data);
	else if (mode == 's')
		frc = hatctl_format_summary(resp.data, resp.len, &out, err, sizeof err);
	else
		frc = hatctl_format_status(resp.data, resp.len, flags, &out, err, sizeof err);
	if (frc != 0) {
		fprintf(stderr, "hatctl: superd's status: %s\n", err);
		rc = HATCTL_USAGE;
	} else {
		fputs(out.data ? out.data : "", stdout);
		if (mode == 's')
			putchar('\n');
	}
done:
	hat_buf_free(&req);
	hat_buf_free(&resp);
	hat_buf_free(&out);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { .config = "etc/hat.json", .timeout_ms = 5000 };
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return HATCTL_OK;
		}
		if (!v)
			return die_usage("%s: missing value", a);
		if (!strcmp(a, "--config"))
			o.config = v;
		else if (!strcmp(a, "--instance"))
			o.instance = v;
		else if (!strcmp(a, "--socket"))
			o.socket = v;
		else if (!strcmp(a, "--timeout-ms") && atoi(v) > 0)
			o.timeout_ms = atoi(v);
		else
			return die_usage("unknown option '%s'", a);
		i++;
	}
	if (i >= argc) {
		fputs(usage, stderr);
		return HATCTL_USAGE;
	}
	const char *cmd = argv[i];
	int n = argc - i;
	char **av = argv + i;
	if (!strcmp(cmd, "help")) {
		fputs(usage, stdout);
		return HATCTL_OK;
	}
	if (!strcmp(cmd, "config"))
		return config_cmd(&o, n, av);
	if (!strcmp(cmd, "key"))
		return hatctl_key(n, av);
	if (!strcmp(cmd, "data"))
		return hatctl_data(n, av);
	if (!strcmp(cmd, "audit"))
		return hatctl_audit(n, av);
	if (!strcmp(cmd, "status")) {
		int mode = 't';
		unsigned flags = 0;
		for (int k = 1; k < n; k++) {
			if (!strcmp(av[k], "--json"))
				mode = 'j';
			else if (!strcmp(av[k], "--summary"))
				mode = 's';
			else if (!strcmp(av[k], "-v"))
				flags |= HATCTL_STATUS_ALL_COUNTERS;
			else
				return die_usage("status: unknown option '%s' (--json, --summary, -v)", av[k]);
		}
		return ctl_cmd(&o, "status", NULL, NULL, mode, flags);
	}
	if (!strcmp(cmd, "restart")) {
		if (n != 2)
			return die_usage("restart: need one STAGE (feedd|signald|riskd|execd)");
		return ctl_cmd(&o, "restart", av[1], NULL, 0, 0);
	}
	if (!strcmp(cmd, "stop")) {
		if (n != 1)
			return die_usage("stop takes no arguments (got '%s')", av[1]);
		return ctl_cmd(&o, "stop", NULL, NULL, 0, 0);
	}
	if (!strcmp(cmd, "halt") || !strcmp(cmd, "resume") || !strcmp(cmd, "cancel-all")) {
		const char *why = "operator";
		if (n == 3 && !strcmp(av[1], "--why"))
			why = av[2];
		else if (n != 1)
			return die_usage("%s: the only option is --why TEXT", cmd);
		return ctl_cmd(&o, !strcmp(cmd, "cancel-all") ? "cancel_all" : cmd, NULL, why, 0, 0);
	}
	return die_usage("unknown command '%s'", cmd);
}
