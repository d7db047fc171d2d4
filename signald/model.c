/* signald/model.c -- online logistic regression with an online normaliser. */
#include "signald/model.h"
#include "common/err.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sig_model_params_default(struct sig_model_params *p)
{
	p->lr = 0.05;
	p->l2 = 1e-4;
	p->norm_alpha = 0.01;
	p->horizon_ns = 1000000000ull;
	p->sample_every_ns = 100000000ull;
}

void sig_model_init(struct sig_model *m, const struct sig_model_params *p)
{
	memset(m, 0, sizeof *m);
	m->p = *p;
	for (int i = 0; i < SIG_MODEL_FEATURES; i++)
		m->var[i] = 1.0;
}

static double sigmoid(double z)
{
	if (z > 35)
		return 1.0;
	if (z < -35)
		return 0.0;
	return 1.0 / (1.0 + exp(-z));
}

static void normalise(const struct sig_model *m, const double *x, double *xn)
{
	for (int i = 0; i < SIG_MODEL_FEATURES; i++) {
		double sd = sqrt(m->var[i]);
		double v = sd > 1e-12 ? (x[i] - m->mean[i]) / sd : 0;
		/* Clip so one outlier cannot blow the weights up. */
		xn[i] = v > 5 ? 5 : v < -5 ? -5 : v;
	}
}

static double linear(const struct sig_model *m, const double *xn)
{
	double z = m->b;
	for (int i = 0; i < SIG_MODEL_FEATURES; i++)
		z += m->w[i] * xn[i];
	return z;
}

double sig_model_predict(const struct sig_model *m, const double x[SIG_MODEL_FEATURES])
{
	double xn[SIG_MODEL_FEATURES];
	normalise(m, x, xn);
	return sigmoid(linear(m, xn));
}

void sig_model_update(struct sig_model *m, const double xn[SIG_MODEL_FEATURES], int y)
{
	double p = sigmoid(linear(m, xn));
	if ((p >= 0.5) == (y == 1))
		m->n_correct++;
	double g = p - (double)y;
	for (int i = 0; i < SIG_MODEL_FEATURES; i++)
		m->w[i] -= m->p.lr * (g * xn[i] + m->p.l2 * m->w[i]);
	m->b -= m->p.lr * g;
	m->n_trained++;
}

static void update_normaliser(struct sig_model *m, const double *x)
{
	double a = m->n_seen < 20 ? 1.0 / (double)(m->n_seen + 1) : m->p.norm_alpha;
	for (int i = 0; i < SIG_MODEL_FEATURES; i++) {
		double d = x[i] - m->mean[i];
		m->mean[i] += a * d;
		m->var[i] = (1 - a) * (m->var[i] + a * d * d);
		if (m->n_seen == 0)
			m->var[i] = 1.0;
	}
	m->n_seen++;
}

int sig_model_observe(struct sig_model *m, const double x[SIG_MODEL_FEATURES], double mid,
		      uint64_t now_ns)
{
	int updates = 0;
	while (m->tail != m->head) {
		struct sig_model_sample *s = &m->pending[m->tail & (SIG_MODEL_PENDING - 1)];
		if (now_ns < s->t_ns + m->p.horizon_ns)
			break;
		if (mid != s->mid) {
			sig_model_update(m, s->x, mid > s->mid ? 1 : 0);
			updates++;
		}
		m->tail++;
	}
	update_normaliser(m, x);
	if (m->last_sample_ns && now_ns - m->last_sample_ns < m->p.sample_every_ns)
		return updates;
	if (m->head - m->tail == SIG_MODEL_PENDING) {
		m->tail++; /* oldest sample is dropped, never trained on */
		m->dropped++;
	}
	struct sig_model_sample *s = &m->pending[m->head & (SIG_MODEL_PENDING - 1)];
	s->t_ns = now_ns;
	s->mid = mid;
	normalise(m, x, s->x);
	m->head++;
	m->last_sample_ns = now_ns;
	return updates;
}

double sig_model_accuracy(const struct sig_model *m)
{
	return m->n_trained ? (double)m->n_correct / (double)m->n_trained : 0.5;
}

int sig_model_save(const struct sig_model *m, const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	FILE *f = fopen(tmp, "w");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "fopen(%s) failed: %s", tmp, strerror(e));
		return -e;
	}
	fprintf(f, "hat-model 1 %d\n", SIG_MODEL_FEATURES);
	fprintf(f, "trained %llu correct %llu seen %llu\n", (unsigned long long)m->n_trained,
		(unsigned long long)m->n_correct, (unsigned long long)m->n_seen);
	fprintf(f, "b %.17g\n", m->b);
	for (int i = 0; i < SIG_MODEL_FEATURES; i++)
		fprintf(f, "f %d %.17g %.17g %.17g\n", i, m->w[i], m->mean[i], m->var[i]);
	int rc = 0;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = -errno;
		snprintf(err, errlen, "writing %s failed: %s", tmp, strerror(-rc));
	}
	if (fclose(f) != 0 && rc == 0) {
		rc = -errno;
		snprintf(err, errlen, "fclose(%s) failed: %s", tmp, strerror(-rc));
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = -errno;
		snprintf(err, errlen, "rename(%s, %s) failed: %s", tmp, path, strerror(-rc));
	}
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int sig_model_load(struct sig_model *m, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "fopen(%s) failed: %s", path, strerror(e));
		return -e;
	}
	struct sig_model tmp = *m;
	int ver = 0, nf = 0, rc = HAT_E_PARSE;
	unsigned long long tr, co, se;
	char line[256];
	if (fscanf(f, "hat-model %d %d\n", &ver, &nf) != 2 || ver != 1 || nf != SIG_MODEL_FEATURES) {
		snprintf(err, errlen, "%s: not a hat model file of version 1 with %d features", path,
			 SIG_MODEL_FEATURES);
		goto out;
	}
	if (fscanf(f, "trained %llu correct %llu seen %llu\n", &tr, &co, &se) != 3 ||
	    fscanf(f, "b %lf\n", &tmp.b) != 1) {
		snprintf(err, errlen, "%s: line 2 or 3 malformed", path);
		goto out;
	}
	tmp.n_trained = tr;
	tmp.n_correct = co;
	tmp.n_seen = se;
	for (int i = 0; i < SIG_MODEL_FEATURES; i++) {
		int idx;
		if (!fgets(line, sizeof line, f) ||
		    sscanf(line, "f %d %lf %lf %lf", &idx, &tmp.w[i], &tmp.mean[i], &tmp.var[i]) != 4 ||
		    idx != i || !isfinite(tmp.w[i]) || !isfinite(tmp.mean[i]) || !(tmp.var[i] >= 0)) {
			snprintf(err, errlen, "%s: feature line %d malformed", path, i);
			goto out;
		}
	}
	if (!isfinite(tmp.b)) {
		snprintf(err, errlen, "%s: bias is not finite", path);
		goto out;
	}
	/* Keep the live parameters and the (empty) pending queue; take the learned state. */
	memcpy(m->w, tmp.w, sizeof m->w);
	memcpy(m->mean, tmp.mean, sizeof m->mean);
	memcpy(m->var, tmp.var, sizeof m->var);
	m->b = tmp.b;
	m->n_trained = tmp.n_trained;
	m->n_correct = tmp.n_correct;
	m->n_seen = tmp.n_seen;
	rc = 0;
out:
	fclose(f);
	return rc;
}
