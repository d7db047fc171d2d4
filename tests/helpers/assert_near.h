/* tests/helpers/assert_near.h -- double comparison for cmocka 1.1 (which has none). */
#ifndef HAT_TESTS_ASSERT_NEAR_H
#define HAT_TESTS_ASSERT_NEAR_H

#include <math.h>

/* Fails the test unless |a - b| <= eps, printing both values in full precision. */
#define assert_double_equal(a, b, eps)                                                        \
	do {                                                                                  \
		double a_ = (a), b_ = (b);                                                    \
		if (!(fabs(a_ - b_) <= (eps)))                                                \
			fail_msg("%s = %.17g, expected %.17g (+-%g)", #a, a_, b_, (double)(eps)); \
	} while (0)

#endif
