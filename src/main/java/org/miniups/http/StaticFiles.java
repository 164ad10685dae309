package org.miniups.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;
import org.apache.pekko.http.javadsl.server.Directives;

/**
 * Every file under a folder of the jar (or of target/classes, in tests) read into memory once:
 * reading the jar on every request served about a third of the requests per second of /health.
 */
final class StaticFiles {
  /** Pekko knows no YAML type and would send application/octet-stream (RFC 9512 registers this one). */
  private static final ContentType YAML =
      MediaTypes.applicationWithOpenCharset("yaml", "yaml", "yml").toContentType(HttpCharsets.UTF_8);

  /** A file's bytes with their content type, and a strong ETag: a hash of exactly these bytes. */
  record StaticFile(HttpEntity.Strict entity, EntityTag etag) {}

  private final Map<String, StaticFile> byPath;

  private StaticFiles(Map<String, StaticFile> byPath) {
    this.byPath = Map.copyOf(byPath);
  }

  /** The files under {@code folder} where this class was loaded from: the jar, or target/classes. */
  static StaticFiles load(String folder) {
    try {
      return load(Path.of(StaticFiles.class.getProtectionDomain().getCodeSource().getLocation().toURI()), folder);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot tell where the classes of mini-UPS are", e);
    }
  }

  /** The files under {@code folder} of {@code classpathRoot}, a directory or a jar. */
  static StaticFiles load(Path classpathRoot, String folder) {
    try {
      if (Files.isDirectory(classpathRoot)) return new StaticFiles(read(classpathRoot.resolve(folder)));
      try (FileSystem jar = FileSystems.newFileSystem(classpathRoot)) {
        return new StaticFiles(read(jar.getPath(folder)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the files of " + folder + "/ in " + classpathRoot, e);
    }
  }

  /** By path relative to the folder, with '/' between directories (api/openapi.yaml). */
  Optional<StaticFile> get(String path) {
    return Optional.ofNullable(byPath.get(path));
  }

  Set<String> paths() {
    return byPath.keySet();
  }

  private static Map<String, StaticFile> read(Path folder) throws IOException {
    Map<String, StaticFile> files = new HashMap<>();
    List<Path> regularFiles;
    try (Stream<Path> walk = Files.walk(folder)) {
      regularFiles = walk.filter(Files::isRegularFile).toList();
    }
    for (Path file : regularFiles) {
      Path relative = folder.relativize(file);
      String path = relative.toString().replace(relative.getFileSystem().getSeparator(), "/");
      byte[] bytes = Files.readAllBytes(file);
      files.put(path, new StaticFile(HttpEntities.create(contentType(path), bytes), strongEtag(bytes)));
    }
    return files;
  }

  private static ContentType contentType(String path) {
    return path.endsWith(".yaml") || path.endsWith(".yml") ? YAML : Directives.defaultContentTypeResolver().resolve(path);
  }

  private static EntityTag strongEtag(byte[] bytes) {
    try {
      byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(bytes);
      return EntityTag.create(Base64.getUrlEncoder().withoutPadding().encodeToString(sha256), false);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
