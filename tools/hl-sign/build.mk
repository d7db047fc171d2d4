# tools/hl-sign -- sign an L1 action or print a key's address from the command line.
PROGRAMS += hl-sign
hl-sign_SRCS := tools/hl-sign/main.c
