/**
 * computecore.dll, the HCS API with operations (Windows 10 1809 / Server 2019 and later,
 * https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/apioverview). Every
 * asynchronous call takes an HCS_OPERATION made with HcsCreateOperation (no callback) and
 * is waited for with HcsWaitForOperationResult, which blocks: only the Worker in
 * windows-call-worker.ts calls these. vmcompute.dll's older API reports completion through
 * callbacks on its own threads, which Bun's FFI cannot take, so skiff never uses it for
 * compute systems.
 *
 * Handles (HCS_OPERATION, HCS_SYSTEM, HCS_PROCESS) are pointers; strings are PCWSTR;
 * results are HRESULTs (i32).
 */
export const COMPUTECORE = {
  // HCS_OPERATION HcsCreateOperation(const void* context, HCS_OPERATION_COMPLETION callback)
  HcsCreateOperation: { args: ["ptr", "ptr"], returns: "ptr" },
  // void HcsCloseOperation(HCS_OPERATION operation)
  HcsCloseOperation: { args: ["ptr"], returns: "void" },
  // HRESULT HcsWaitForOperationResult(HCS_OPERATION, DWORD timeoutMs, PWSTR* resultDocument)
  HcsWaitForOperationResult: { args: ["ptr", "u32", "ptr"], returns: "i32" },
  // HRESULT HcsWaitForOperationResultAndProcessInfo(HCS_OPERATION, DWORD, HCS_PROCESS_INFORMATION*, PWSTR*)
  HcsWaitForOperationResultAndProcessInfo: { args: ["ptr", "u32", "ptr", "ptr"], returns: "i32" },
  // HRESULT HcsCreateComputeSystem(PCWSTR id, PCWSTR configuration, HCS_OPERATION, const SECURITY_DESCRIPTOR*, HCS_SYSTEM*)
  HcsCreateComputeSystem: { args: ["ptr", "ptr", "ptr", "ptr", "ptr"], returns: "i32" },
  // HRESULT HcsOpenComputeSystem(PCWSTR id, DWORD requestedAccess, HCS_SYSTEM*)
  HcsOpenComputeSystem: { args: ["ptr", "u32", "ptr"], returns: "i32" },
  // void HcsCloseComputeSystem(HCS_SYSTEM)
  HcsCloseComputeSystem: { args: ["ptr"], returns: "void" },
  // HRESULT Hcs{Start,ShutDown,Terminate}ComputeSystem(HCS_SYSTEM, HCS_OPERATION, PCWSTR options)
  HcsStartComputeSystem: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  HcsShutDownComputeSystem: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  HcsTerminateComputeSystem: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  // HRESULT HcsModifyComputeSystem(HCS_SYSTEM, HCS_OPERATION, PCWSTR configuration, HANDLE identity)
  HcsModifyComputeSystem: { args: ["ptr", "ptr", "ptr", "ptr"], returns: "i32" },
  // HRESULT HcsGetComputeSystemProperties(HCS_SYSTEM, HCS_OPERATION, PCWSTR propertyQuery)
  HcsGetComputeSystemProperties: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  // HRESULT HcsCreateProcess(HCS_SYSTEM, PCWSTR processParameters, HCS_OPERATION, const SECURITY_DESCRIPTOR*, HCS_PROCESS*)
  HcsCreateProcess: { args: ["ptr", "ptr", "ptr", "ptr", "ptr"], returns: "i32" },
  // HRESULT HcsGetProcessProperties(HCS_PROCESS, HCS_OPERATION, PCWSTR propertyQuery)
  HcsGetProcessProperties: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  // HRESULT Hcs{Signal,Terminate}Process(HCS_PROCESS, HCS_OPERATION, PCWSTR options)
  HcsSignalProcess: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  HcsTerminateProcess: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  // void HcsCloseProcess(HCS_PROCESS)
  HcsCloseProcess: { args: ["ptr"], returns: "void" },
} as const;

/** HcsOpenComputeSystem's requested access: GENERIC_ALL, as hcsshim asks. */
export const GENERIC_ALL = 0x10000000;
/** HcsWaitForOperationResult's timeout for "no timeout". */
export const INFINITE = 0xffffffff;
/** sizeof(HCS_PROCESS_INFORMATION): DWORD ProcessId, DWORD Reserved, HANDLE StdInput, StdOutput, StdError. */
export const PROCESS_INFORMATION_SIZE = 32;
