// OpenStack's meta_data.json (the metadata service and the config drive).
// fuzz-seeds: fixtures/*/openstack/*/meta_data.json ../configdrive/fixtures/*/openstack/*/meta_data.json
#include "providers/openstack/openstack-format.hh"
#include "tests/fuzz/fuzz-common.hh"

IMPRINT_FUZZ_DOCUMENT_PARSER(imprint::parseOpenStackMetaData)
