/**
 * vmcompute.dll's container layer calls and HNSCall. They are synchronous but can take
 * seconds (ImportLayer copies a whole layer), so they run in the call Worker too.
 * Signatures as hcsshim's wclayer and hns packages declare them: every layer call takes
 * a DriverInfo* first and the layer's folder path as its id; parent layers are passed as
 * a WC_LAYER_DESCRIPTOR array and its length (see marshal.ts).
 */
export const VMCOMPUTE = {
  // HRESULT ActivateLayer(DriverInfo*, PCWSTR id)
  ActivateLayer: { args: ["ptr", "ptr"], returns: "i32" },
  // HRESULT CreateSandboxLayer(DriverInfo*, PCWSTR id, PCWSTR parentId (NULL), WC_LAYER_DESCRIPTOR*, UINT32 count)
  CreateSandboxLayer: { args: ["ptr", "ptr", "ptr", "ptr", "u32"], returns: "i32" },
  // HRESULT ExpandSandboxSize(DriverInfo*, PCWSTR id, UINT64 size)
  ExpandSandboxSize: { args: ["ptr", "ptr", "u64"], returns: "i32" },
  DeactivateLayer: { args: ["ptr", "ptr"], returns: "i32" },
  DestroyLayer: { args: ["ptr", "ptr"], returns: "i32" },
  // HRESULT GetLayerMountPath(DriverInfo*, PCWSTR id, SIZE_T* length (in chars), PWSTR buffer)
  GetLayerMountPath: { args: ["ptr", "ptr", "ptr", "ptr"], returns: "i32" },
  // HRESULT ImportLayer(DriverInfo*, PCWSTR id, PCWSTR importFolderPath, WC_LAYER_DESCRIPTOR*, UINT32 count)
  ImportLayer: { args: ["ptr", "ptr", "ptr", "ptr", "u32"], returns: "i32" },
  // HRESULT NameToGuid(PCWSTR name, GUID* guid)
  NameToGuid: { args: ["ptr", "ptr"], returns: "i32" },
  // HRESULT PrepareLayer(DriverInfo*, PCWSTR id, WC_LAYER_DESCRIPTOR*, UINT32 count)
  PrepareLayer: { args: ["ptr", "ptr", "ptr", "u32"], returns: "i32" },
  UnprepareLayer: { args: ["ptr", "ptr"], returns: "i32" },
  // HRESULT ProcessBaseImage(PCWSTR path), ProcessUtilityImage(PCWSTR path)
  ProcessBaseImage: { args: ["ptr"], returns: "i32" },
  ProcessUtilityImage: { args: ["ptr"], returns: "i32" },
  // HRESULT GrantVmAccess(PCWSTR vmId, PCWSTR filePath)
  GrantVmAccess: { args: ["ptr", "ptr"], returns: "i32" },
  // HRESULT HNSCall(PCWSTR method, PCWSTR path, PCWSTR request, PWSTR* response); response freed with CoTaskMemFree
  HNSCall: { args: ["ptr", "ptr", "ptr", "ptr"], returns: "i32" },
} as const;

/** ole32.dll: frees the strings HNSCall returns. */
export const OLE32 = {
  CoTaskMemFree: { args: ["ptr"], returns: "void" },
} as const;
