/* signald/model.h -- online logistic regression on microstructure features.
 *
 * Predicts the probability that the mid is higher after a horizon than now. Features are
 * normalised online (exponentially weighted mean and variance per feature) and the weights
 * are updated by SGD with L2 regularisation each time a sample's horizon has passed and its
 * label is known (samples whose mid did not move are skipped: no information about the sign).
 * Samples wait in a fixed ring buffer; nothing allocates. Weights (and the normaliser) are
 * saved to a small text file and reloaded at start, so learning survives restarts.
 * Single-threaded; time passed in.
 */
#ifndef HAT_SIGNALD_MODEL_H
#define HAT_SIGNALD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIG_MODEL_FEATURES 6   /* imbalance@1, imbalance@3, imbalance@5, flow, micro-mid, spread */
#define SIG_MODEL_PENDING 1024 /* samples waiting for their label (power of two) */

struct sig_model_params {
	double lr;            /* SGD learning rate, e.g. 0.05 */
	double l2;            /* L2 penalty, e.g. 1e-4 */
	double norm_alpha;    /* EW weight of a new sample in the normaliser, e.g. 0.01 */
	uint64_t horizon_ns;  /* prediction horizon, e.g. 1 s */
	uint64_t sample_every_ns; /* at most one training sample per this interval */
};

struct sig_model_sample {
	uint64_t t_ns;
	double mid;
	double x[SIG_MODEL_FEATURES]; /* normalised at sampling time */
};

struct sig_model {
	struct sig_model_params p;
	double w[SIG_MODEL_FEATURES];
	double b;
	double mean[SIG_MODEL_FEATURES], var[SIG_MODEL_FEATURES];
	uint64_t n_seen;      /* feature vectors seen by the normaliser */
	uint64_t n_trained;   /* labelled updates */
	uint64_t n_correct;   /* of those, predicted sign right before the update */
	struct sig_model_sample pending[SIG_MODEL_PENDING];
	uint64_t head, tail;
	uint64_t last_sample_ns;
	uint64_t dropped;     /* samples lost because the pending buffer was full */
};

void sig_model_params_default(struct sig_model_params *p);
void sig_model_init(struct sig_model *m, const struct sig_model_params *p);

/* Probability (0..1) that the mid goes up, for raw (unnormalised) features x. */
double sig_model_predict(const struct sig_model *m, const double x[SIG_MODEL_FEATURES]);

/* Feeds one observation at now_ns: trains on every pending sample whose horizon has passed
 * (label from mid now vs mid then), then, at most once per sample_every_ns, queues x as a new
 * sample. Returns the number of updates made. */
int sig_model_observe(struct sig_model *m, const double x[SIG_MODEL_FEATURES], double mid,
		      uint64_t now_ns);

/* One SGD step on an already normalised sample with label y (0 or 1). Exposed for tests. */
void sig_model_update(struct sig_model *m, const double xn[SIG_MODEL_FEATURES], int y);

/* Accuracy of the sign predictions made just before each update; 0.5 with no updates. */
double sig_model_accuracy(const struct sig_model *m);

/* Saves weights, bias and normaliser to path (written to path.tmp, fsynced, renamed).
 * Returns 0 or a negative errno with err naming the path and the call that failed. */
int sig_model_save(const struct sig_model *m, const char *path, char *err, size_t errlen);
/* Loads what sig_model_save wrote. Returns 0, -ENOENT if there is no file (keep the fresh
 * model), or HAT_E_PARSE with err saying what is wrong with the file (it is then ignored). */
int sig_model_load(struct sig_model *m, const char *path, char *err, size_t errlen);

#endif
