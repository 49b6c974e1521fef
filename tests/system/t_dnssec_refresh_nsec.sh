#!/bin/bash
# t_dnssec_refresh_nsec.sh - t_dnssec_refresh.sh with NSEC denial: the NSEC
# records' RRSIGs are refreshed in the background like the others and the
# zone keeps validating.
DNSSEC_DENIAL=nsec exec bash "$(dirname "$0")/t_dnssec_refresh.sh"
