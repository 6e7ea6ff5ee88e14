#pragma once
// Azure's documents (IMDS instance JSON, the wireserver's goal state) and its Ready report.

#include "agent/system/http.hh"
#include "providers/provider.hh"

#include <string>
#include <string_view>
#include <vector>

namespace imprint {

SourceData parseAzureInstance(std::string_view json, const std::string & origin);
struct AzureGoalState
{
    std::string incarnation;
    std::string containerId;
    std::string instanceId;
};
AzureGoalState parseAzureGoalState(std::string_view xml, const std::string & origin);
std::string azureHealthReport(const AzureGoalState & goal);
// The Ready report Azure waits for after provisioning (as Afterburn's check-in): GET the goal
// state from the wireserver, then POST a health report with State Ready. Without it the
// platform marks the VM's provisioning as failed. `wireserver` is a base URL
// (default http://168.63.129.16, config `endpoints: {azure-wireserver: URL}`).
void reportAzureReady(HttpClient & http, const std::string & wireserver);
inline constexpr const char * kAzureWireserver = "http://168.63.129.16";

} // namespace imprint
