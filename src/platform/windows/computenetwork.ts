/**
 * computenetwork.dll, the Host Compute Network service's v2 API
 * (https://learn.microsoft.com/en-us/virtualization/api/hcn/reference/hcn-functions), for
 * reading a namespace or an endpoint as HCN describes it: open it by GUID, query its
 * properties, close it. Strings come back as PWSTRs freed with CoTaskMemFree; a failure
 * may come with an error record (a JSON document) freed the same way. The calls are
 * synchronous and run in the call Worker like HNSCall.
 */
export const COMPUTENETWORK = {
  // HRESULT HcnOpenNamespace(REFGUID Id, HCN_NAMESPACE* Namespace, PWSTR* ErrorRecord)
  HcnOpenNamespace: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  // HRESULT HcnQueryNamespaceProperties(HCN_NAMESPACE, PCWSTR Query, PWSTR* Properties, PWSTR* ErrorRecord)
  HcnQueryNamespaceProperties: { args: ["ptr", "ptr", "ptr", "ptr"], returns: "i32" },
  // HRESULT HcnCloseNamespace(HCN_NAMESPACE)
  HcnCloseNamespace: { args: ["ptr"], returns: "i32" },
  // HRESULT HcnOpenEndpoint(REFGUID Id, HCN_ENDPOINT* Endpoint, PWSTR* ErrorRecord)
  HcnOpenEndpoint: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  // HRESULT HcnQueryEndpointProperties(HCN_ENDPOINT, PCWSTR Query, PWSTR* Properties, PWSTR* ErrorRecord)
  HcnQueryEndpointProperties: { args: ["ptr", "ptr", "ptr", "ptr"], returns: "i32" },
  // HRESULT HcnCloseEndpoint(HCN_ENDPOINT)
  HcnCloseEndpoint: { args: ["ptr"], returns: "i32" },
} as const;

/** HCN's default query, as hcsshim's hcn package sends it: schema 2.0, no flags, no filter. */
export const HCN_DEFAULT_QUERY = JSON.stringify({ SchemaVersion: { Major: 2, Minor: 0 } });
