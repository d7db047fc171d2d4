/* tests/helpers/golden.h -- compare a tool's text output with a golden file (uthash's .ans).
 *
 * golden_check("hatctl_status.ans", text) compares text with tests/golden/hatctl_status.ans and
 * fails the test with both texts on a difference. To regenerate deliberately after a change of
 * output, run the test with HAT_GOLDEN_UPDATE=1 and commit the new .ans with the change.
 */
#ifndef HAT_TESTS_GOLDEN_H
#define HAT_TESTS_GOLDEN_H

void golden_check(const char *name, const char *text);

#endif
