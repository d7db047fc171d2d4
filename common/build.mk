# common/ -- libhat.a. Explicit lists (STYLE rule 15); each section is owned by one module group.

# ---- base: errors, buffers, fixed point
LIBHAT_SRCS += common/err.c common/buf.c common/fixed.c
TESTS += tests/unit/test_fixed tests/unit/test_buf

# ---- shm, ring, clock (tests and bench-ring)
LIBHAT_SRCS += common/clock.c common/shm.c common/ring.c
TESTS += tests/unit/test_ring tests/unit/test_shm tests/unit/test_clock \
         tests/proc/test_ring_xproc tests/proc/test_ring_fault tests/proc/test_shm_corrupt

# ---- msg, board, control, log, config

# ---- journal, loop

