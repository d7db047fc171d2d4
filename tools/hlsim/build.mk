# tools/hlsim/ -- the exchange simulator. Two sections, each owned by one helper.

# ---- core
HLSIM_CORE_SRCS :=

# ---- net
