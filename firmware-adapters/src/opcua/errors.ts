// Error catalog of OPC UA devices: why a configured node or a value it reported was refused,
// ignored, or why the link to the device failed.
export const OPCUA_ERRORS = {
  NEVA_OPCUA_CONFIG: 'the OPC UA device configuration is invalid',
  NEVA_OPCUA_UNKNOWN_CODE: 'a node is mapped to an MDC code that names no known vital sign',
  NEVA_OPCUA_UNIT_MISMATCH: "a node's configured unit differs from the code table",
  NEVA_OPCUA_NOT_A_NUMBER: 'the value is not a scalar number (a string, boolean, array, object or NaN)',
  NEVA_OPCUA_IMPLAUSIBLE_VALUE: 'value is physiologically impossible',
  NEVA_OPCUA_BAD_STATUS: 'the server reported the value with a Bad status code: it has no valid value (ignored, counted)',
  NEVA_OPCUA_NO_VALUE: 'the server reported a null value: the device measures nothing now (ignored, counted)',
  NEVA_OPCUA_CONNECTION_LOST: 'the connection to the OPC UA server dropped; reconnecting',
  NEVA_OPCUA_CONNECT_FAILED: 'connecting, creating the session or the subscription failed; retrying',
  NEVA_OPCUA_MONITOR_FAILED: 'the server refused to monitor a node (unknown node id, not readable)',
  NEVA_OPCUA_NOT_DURABLE: 'values could not be made durable yet (outbox full or failing); kept in memory and retried',
  NEVA_OPCUA_DROPPED: 'values waiting to be made durable exceeded the memory bound; the oldest were dropped',
} as const
export type OpcuaErrorCode = keyof typeof OPCUA_ERRORS
