/* common/compiler.h -- compiler helpers shared by every file of hat.
 *
 * HAT_CACHELINE and the alignment helpers size shared-memory structures; HAT_ASSERT is the
 * always-on invariant check of STYLE rule 8(a): it is for our own corrupted memory only, never
 * for input from another process, the exchange or a file (those are validated and rejected).
 */
#ifndef HAT_COMMON_COMPILER_H
#define HAT_COMMON_COMPILER_H

#include <assert.h>
#include <stddef.h>

#define HAT_CACHELINE 64

#define hat_likely(x) __builtin_expect(!!(x), 1)
#define hat_unlikely(x) __builtin_expect(!!(x), 0)
#define HAT_ALIGNED(n) __attribute__((aligned(n)))
#define HAT_UNUSED __attribute__((unused))
#define HAT_WARN_UNUSED __attribute__((warn_unused_result))
#define HAT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define HAT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Compile-time layout checks for shared structs (STYLE rule 5). */
#define HAT_STATIC_ASSERT(e, msg) _Static_assert(e, msg)
#define HAT_ASSERT_SIZE(type, n) _Static_assert(sizeof(type) == (n), #type " must be " #n " bytes")
#define HAT_ASSERT_OFFSET(type, field, n) \
	_Static_assert(offsetof(type, field) == (n), #type "." #field " must be at offset " #n)

/* Logs the expression, file, line and a backtrace to stderr, then aborts (superd restarts the
 * stage). Always on, even in release builds. Implemented in common/err.c. */
void hat__assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));
#define HAT_ASSERT(e) \
	(hat_likely(e) ? (void)0 : hat__assert_fail(#e, __FILE__, __LINE__))

#endif
