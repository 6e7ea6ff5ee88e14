// Scaleway's /conf?format=json (keys also from AUTHORIZED_KEY tags).
// fuzz-seeds: fixtures/*/conf.json
#include "providers/scaleway/scaleway.hh"
#include "tests/fuzz/fuzz-common.hh"

IMPRINT_FUZZ_DOCUMENT_PARSER(imprint::parseScalewayConf)
