package org.miniups.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every file of a classpath folder is found, from a directory (tests) as from the jar (production). */
class StaticFilesTest {
  private static final Path SOURCES = Path.of("src/main/resources/web");

  @Test
  void everyFileOfTheWebFolderIsLoadedWithItsBytes() throws Exception {
    StaticFiles files = StaticFiles.load("web");
    Set<String> expected;
    try (Stream<Path> walk = Files.walk(SOURCES)) {
      expected = walk.filter(Files::isRegularFile).map(f -> SOURCES.relativize(f).toString().replace('\\', '/')).collect(Collectors.toSet());
    }
    assertEquals(expected, files.paths());
    for (String path : expected) {
      assertArrayEquals(Files.readAllBytes(SOURCES.resolve(path)), files.get(path).orElseThrow().entity().getData().toArray(), path);
    }
  }

  /** A jar without directory entries, as some tools write them; only the folder's own files. */
  @Test
  void aJarIsReadLikeADirectory(@TempDir Path dir) throws Exception {
    Path jar = dir.resolve("site.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      put(out, "web/index.html", "<p>hello</p>");
      put(out, "web/api/doc.yaml", "openapi: 3.0.3");
      put(out, "web/copy.html", "<p>hello</p>");
      put(out, "other/secret.txt", "not served");
    }
    StaticFiles files = StaticFiles.load(jar, "web");
    assertEquals(Set.of("index.html", "api/doc.yaml", "copy.html"), files.paths());
    StaticFiles.StaticFile yaml = files.get("api/doc.yaml").orElseThrow();
    assertEquals("openapi: 3.0.3", yaml.entity().getData().utf8String());
    assertEquals("application/yaml; charset=UTF-8", yaml.entity().getContentType().toString());
    assertEquals(files.get("index.html").orElseThrow().etag(), files.get("copy.html").orElseThrow().etag(), "same bytes, same ETag");
    assertNotEquals(files.get("index.html").orElseThrow().etag(), yaml.etag());
  }

  private static void put(JarOutputStream jar, String name, String text) throws Exception {
    jar.putNextEntry(new JarEntry(name));
    OutputStream entry = jar;
    entry.write(text.getBytes(StandardCharsets.UTF_8));
    jar.closeEntry();
  }
}
