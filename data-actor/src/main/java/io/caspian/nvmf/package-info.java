/**
 * The NVMe/TCP wire: PDU records and the reusable PDUs of the I/O path, the frame decoder that
 * checks lengths and digests, and the codec between frames and PDUs. Shared by the target
 * ({@code io.caspian.nvmf.target}) and the initiator ({@code io.caspian.nvmf.host}); handlers
 * above the codec never see raw bytes.
 */
package io.caspian.nvmf;
