// Hetzner's YAML meta-data.
// fuzz-seeds: fixtures/*/metadata
// fuzz-dict: yaml.dict
#include "providers/hetzner/hetzner.hh"
#include "tests/fuzz/fuzz-common.hh"

IMPRINT_FUZZ_DOCUMENT_PARSER(imprint::parseHetznerMetadata)
