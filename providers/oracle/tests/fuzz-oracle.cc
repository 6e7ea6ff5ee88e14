// Oracle's opc/v2/instance/ document (user_data in base64).
// fuzz-seeds: fixtures/*/instance.json
#include "providers/oracle/oracle.hh"
#include "tests/fuzz/fuzz-common.hh"

IMPRINT_FUZZ_DOCUMENT_PARSER(imprint::parseOracleInstance)
