# bench/ -- benchmarks (build/bin/bench-<name>), one section per benchmark; explicit lists.

# ---- ring: shm ring vs pipe vs unix socket, latency vs cache-line ping-pong
BENCHES += ring
bench-ring_SRCS := bench/bench_ring.c
bench-ring_LIBS :=
