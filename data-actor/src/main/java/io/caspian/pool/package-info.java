/**
 * Storage pools and replicas: one disk per pool, formatted with the Caspian pool format, holding
 * thin and thick replicas that are themselves block devices (Mayastor's lvstore and lvols).
 *
 * <p>{@link io.caspian.pool.Pool} creates, imports, exports and destroys pools and creates,
 * resizes and destroys replicas; those calls block until the change is durable and belong on a
 * blocking dispatcher. {@link io.caspian.pool.Replica} is the data path. This package imports
 * neither Pekko nor Kafka.
 *
 * <h2>On-disk format, version 1</h2>
 *
 * All integers are big-endian; all checksums are CRC32C. Metadata blocks are 4 KiB whatever the
 * disk block size (512 or 4096).
 *
 * <pre>
 * offset 0            superblock, 4 KiB, written once at create, zeroed by destroy
 * 4096                checkpoint slot A  (checkpointSize bytes)
 * 4096 + cs           checkpoint slot B  (checkpointSize bytes)
 * 4096 + 2 cs         log: logBlocks records of 4 KiB (default 256)
 * dataOffset          clusterCount clusters of clusterSize bytes (default 4 MiB); dataOffset is
 *                     aligned to min(clusterSize, 1 MiB)
 * </pre>
 *
 * <b>Superblock</b> (bytes): 0 magic {@code "CSPNPOOL"}; 8 format version (int, 1); 12 superblock
 * length (int, 4096); 16 pool uuid (2 longs); 32 cluster size (long, power of two, 64 KiB to 1
 * GiB); 40 disk block size (int); 44 replica limit (int, 1024); 48 disk size at create (long); 56
 * checkpoint A offset; 64 checkpoint B offset; 72 checkpoint slot size; 80 log offset (longs); 88
 * log blocks (int); 96 data offset; 104 cluster count (longs); 112 name length (short, at most 255)
 * and UTF-8 name; 4092 CRC32C of bytes 0..4091. Import checks magic (else NOT_A_POOL), checksum,
 * version and that the layout is self-consistent and fits the disk (else CORRUPT).
 *
 * <p><b>Checkpoint</b> (the whole replica table): 0 magic {@code "CSPNCKPT"}; 8 pool uuid; 24
 * generation (long); 32 length in bytes (int); 36 replica count (int); 40 CRC32C of the checkpoint
 * without these 4 bytes; 44 one {@code ReplicaCreated} entry per replica (below). A slot is sized
 * at create for the worst case: 1024 replicas with 255-byte names and every cluster its own run.
 * Only the used part is written.
 *
 * <p><b>Log record</b> (one 4 KiB block): 0 magic {@code "CSPNLOG1"}; 8 pool uuid; 24 checkpoint
 * generation; 32 sequence number (= its slot in the log); 40 CRC of the previous record (of the
 * checkpoint for record 0); 44 entry count (short); 46 entry bytes (short); 48 entries; zero
 * padding; 4092 CRC32C of bytes 0..4091.
 *
 * <p><b>Entries</b>: type byte, replica uuid (16 bytes), then: 1 {@code ReplicaCreated} size
 * (long), thin (byte), name length (short), name, runs; 2 {@code ReplicaDestroyed} nothing; 3
 * {@code ReplicaResized} new size (long), runs added (thick growth; clusters past the new end are
 * freed); 4 {@code ClustersAllocated} runs. Runs are a count (int) then (logical cluster, physical
 * cluster, length) int triples: the extent map. The cluster bitmap is not stored; it is derived
 * from the extent maps, so "used" always equals the sum of the extents.
 *
 * <h2>Crash safety</h2>
 *
 * One thread per pool (the metadata writer) makes every change, one at a time, as "write, then
 * flush", and answers only afterwards. Changes queued meanwhile (thin allocations from I/O
 * threads, control calls) go out together as one record (group commit). Newly allocated clusters
 * are zeroed and flushed before the record that hands them to a replica, so an allocated cluster
 * never shows data of an earlier owner; freed clusters are reused only once the record freeing
 * them is durable. A thin allocation zeroes its one cluster on the writer thread. A thick create
 * or growth is two-phase so that zeroing gigabytes never stalls thin allocations: the writer sets
 * the clusters aside in memory (nothing is written), the caller's thread zeroes and flushes them,
 * then the writer commits the record. A crash in between leaves them owned by no replica, hence
 * free after import. When the log is full, or a change does not fit one record, the whole state is
 * written as the next generation into the inactive checkpoint slot and flushed; the log then
 * restarts at record 0 with that generation. Until that flush the previous checkpoint and its log
 * are intact.
 *
 * <p>Import reads only. It takes the valid checkpoint with the highest generation, replays log
 * records while they are valid, of that generation, in sequence and chained by CRC, and stops at
 * the first that is not (a torn or never-written record). Because every record is flushed before
 * the next is written, a valid record of the same generation after that point, or a record of a
 * newer generation anywhere, means damage, not a crash: import fails with CORRUPT. So does a
 * replay that would own a cluster twice or map outside the pool.
 *
 * <p>Create refuses a disk whose first 4 KiB hold a pool or any non-zero byte unless asked to
 * overwrite; it zeroes the old superblock first, then the metadata area, writes checkpoint 1 and
 * writes the superblock last, so a crash during create leaves no pool.
 *
 * <h2>Replicas</h2>
 *
 * Thick replicas get every cluster, zeroed, at create (NO_SPACE when they are not free); thin
 * replicas get a cluster on first write, durably recorded before the write is issued; unwritten
 * ranges read as zeroes without disk I/O, and a thin write that finds the pool full fails with
 * {@code NO_SPACE}. Growing zeroes the tail of a last cluster that a shrink left with old data.
 * Destroy and shrink stop new I/O to the removed range at once, but do not wait for I/O already
 * handed to the disk: the layers above (nexus, targets) drain before they ask.
 *
 * <p>Limits: 1024 replicas per pool, names up to 255 UTF-8 bytes, sizes a multiple of the disk
 * block size and at most 2^30 clusters; a pool cannot grow with its disk.
 */
package io.caspian.pool;
