package io.caspian.nexus.intent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A nexus's write-intent log on disk: a file of two fixed-size slots, A at 0 and B at {@link
 * #SLOT_SIZE}. Each write goes to the slot the previous one did not use, followed by fdatasync, so
 * a crash during a write tears at most that slot and leaves the other, one sequence older, valid;
 * {@link #load} takes the valid slot with the higher sequence.
 *
 * <p>A plain file through the page cache with {@code force(false)}: the record is a few KiB written
 * a few times per second at most, and fdatasync makes it as durable as an O_DIRECT write with FUA
 * would, without needing an aligned buffer or a bdev of its own. Not thread-safe: one writer (the
 * nexus's log thread) at a time.
 */
public final class WriteIntentLog implements AutoCloseable {

  /** Room for the header, 32 members with URIs of up to about 800 bytes, and 32768 regions. */
  public static final int SLOT_SIZE = 32 * 1024;
  /** The bitmap of the largest volume is 4 KiB: regions grow with the volume beyond this. */
  public static final int MAX_REGIONS = 32 * 1024;
  /** The region of any volume up to 32 GiB; see {@link #regionSizeFor}. */
  public static final int MIN_REGION_SIZE = 1 << 20;

  private final Path file;
  private final FileChannel channel;
  private final ByteBuffer buf = ByteBuffer.allocate(SLOT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
  private long lastSequence;

  private WriteIntentLog(Path file, FileChannel channel) {
    this.file = file;
    this.channel = channel;
  }

  /**
   * The region size of a volume of {@code volumeSize} bytes: 1 MiB, or the power of two that
   * keeps the bitmap at {@link #MAX_REGIONS} regions for larger volumes. A multiple of the
   * nexus's 64 KiB segment either way.
   */
  public static int regionSizeFor(long volumeSize) {
    long need = (volumeSize + MAX_REGIONS - 1) / MAX_REGIONS;
    long r = MIN_REGION_SIZE;
    while (r < need) {
      r <<= 1;
    }
    return (int) Math.min(r, 1 << 30);
  }

  /** What {@code file} holds now, without opening it for writing. */
  public static LogLoad load(Path file) throws IOException {
    byte[] all;
    try {
      all = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return new LogLoad.Absent();
    }
    LogImage best = null;
    StringBuilder why = new StringBuilder();
    for (int slot = 0; slot < 2; slot++) {
      int from = slot * SLOT_SIZE;
      int len = Math.max(0, Math.min(SLOT_SIZE, all.length - from));
      ByteBuffer b = ByteBuffer.wrap(all, Math.min(from, all.length), len).slice()
          .order(ByteOrder.LITTLE_ENDIAN);
      try {
        LogImage img = SlotCodec.decode(b);
        if (best == null || img.sequence() > best.sequence()) {
          best = img;
        }
      } catch (SlotCodec.InvalidSlot e) {
        why.append(slot == 0 ? "slot A: " : "; slot B: ").append(e.getMessage());
      }
    }
    return best != null ? new LogLoad.Loaded(best)
        : new LogLoad.Unusable(file + " has no valid slot (" + why + ")");
  }

  /**
   * Opens {@code file} for writing, creating it (and its directory) if needed; the next write
   * follows {@code lastSequence}, the sequence of what {@link #load} returned (0 for none).
   */
  public static WriteIntentLog open(Path file, long lastSequence) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    boolean existed = Files.exists(file);
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    if (!existed) {
      syncDirectory(dir);
    }
    WriteIntentLog log = new WriteIntentLog(file, ch);
    log.lastSequence = lastSequence;
    return log;
  }

  public Path file() {
    return file;
  }

  /** The sequence the next {@link #write} will give its image. */
  public long nextSequence() {
    return lastSequence + 1;
  }

  /**
   * Makes {@code image} (whose sequence must be {@link #nextSequence}) durable in the slot the
   * last write did not use; returns once fdatasync did.
   */
  public void write(LogImage image) throws IOException {
    if (image.sequence() != lastSequence + 1) {
      throw new IllegalArgumentException("image sequence " + image.sequence() + ", expected "
          + (lastSequence + 1));
    }
    SlotCodec.encode(image, buf);
    long at = (image.sequence() & 1) * SLOT_SIZE;
    while (buf.hasRemaining()) {
      at += channel.write(buf, at);
    }
    channel.force(false);
    lastSequence = image.sequence();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** Deletes the log of a nexus destroyed on purpose; a crash never does this. */
  public static void delete(Path file) throws IOException {
    if (Files.deleteIfExists(file)) {
      syncDirectory(file.toAbsolutePath().getParent());
    }
  }

  /** A new or deleted file's directory entry is durable only once the directory is synced. */
  private static void syncDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }
}
