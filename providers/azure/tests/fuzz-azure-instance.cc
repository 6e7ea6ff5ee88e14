// Azure IMDS's instance document.
// fuzz-seeds: fixtures/*/instance.json
#include "providers/azure/azure.hh"
#include "tests/fuzz/fuzz-common.hh"

IMPRINT_FUZZ_DOCUMENT_PARSER(imprint::parseAzureInstance)
