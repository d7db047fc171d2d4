# tools/hlsim/ -- the exchange simulator. Two sections, each owned by one helper.

# ---- core
# The exchange model (engine.h): I/O-free except config/state files. The net section links
# these into the hlsim program; the core tests link them directly.
HLSIM_CORE_SRCS := tools/hlsim/config.c tools/hlsim/book.c tools/hlsim/match.c \
                   tools/hlsim/nonce.c tools/hlsim/account.c tools/hlsim/engine.c \
                   tools/hlsim/exchange.c tools/hlsim/info.c tools/hlsim/flow.c \
                   tools/hlsim/state.c
HLSIM_CORE_LIBS := $(LIB_CJSON) $(LIB_SECP) $(LIB_SODIUM)
HLSIM_CORE_TESTS := tests/unit/test_hlsim_book tests/unit/test_hlsim_match \
                    tests/unit/test_hlsim_account tests/unit/test_hlsim_api \
                    tests/unit/test_hlsim_flow tests/unit/test_hlsim_state
TESTS += $(HLSIM_CORE_TESTS)
$(foreach t,$(HLSIM_CORE_TESTS),$(eval $(t)_SRCS := $$(HLSIM_CORE_SRCS) tests/unit/hlsim_test_util.c))
$(foreach t,$(HLSIM_CORE_TESTS),$(eval $(t)_LIBS := $$(HLSIM_CORE_LIBS)))

# ---- net
