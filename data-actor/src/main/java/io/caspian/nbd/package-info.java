/**
 * An NBD server (fixed newstyle handshake, simple and structured replies) that exports any {@link
 * io.caspian.bdev.BlockDevice} over TCP.
 *
 * <p>Each connection is a Netty pipeline: a frame decoder for the current phase ({@link
 * OptionDecoder} during the handshake, {@link RequestDecoder} during transmission), an encoder for
 * what the server sends, and a handler that never sees raw bytes ({@link HandshakeHandler}, then
 * {@link TransmissionHandler}). Read and write requests travel in pooled {@link Request} objects so
 * that the I/O path allocates nothing; see {@link NbdServer} for the public API.
 */
package io.caspian.nbd;
