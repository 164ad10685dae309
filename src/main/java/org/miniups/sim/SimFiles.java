package org.miniups.sim;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The simulators' files (saved state, reports): JSON written so that a reader, or a restart after
 * a SIGKILL, sees either the previous version or the new one, never a part of one.
 */
public final class SimFiles {
  private SimFiles() {}

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          // A newer simulator may add fields; an older reader skips them.
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** Writes a temp file beside {@code file}, forces it to disk, then renames it over the file. */
  public static void writeAtomically(Path file, Object value) {
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      byte[] bytes = JSON.writeValueAsBytes(value);
      try (FileChannel channel =
          FileChannel.open(
              temp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) channel.write(buffer);
        channel.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("could not write " + file, e);
    }
  }

  public static <T> T read(Path file, Class<T> type) {
    try {
      return JSON.readValue(file.toFile(), type);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + file, e);
    }
  }
}
