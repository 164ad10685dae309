package org.miniups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AppConfigTest {
  @Test
  void theSeedNodeVariableIsACommaSeparatedList() {
    assertEquals(
        List.of("pekko://mini-ups@10.0.0.1:25520", "pekko://mini-ups@node-2:25521"),
        AppConfig.load(Map.of(), " pekko://mini-ups@10.0.0.1:25520, pekko://mini-ups@node-2:25521 ,")
            .getStringList(AppConfig.SEED_NODES));
    assertEquals(
        List.of("pekko://mini-ups@127.0.0.1:25520"),
        AppConfig.load(Map.of(), "pekko://mini-ups@127.0.0.1:25520").getStringList(AppConfig.SEED_NODES));
  }

  @Test
  void withoutSeedNodesTheNodeFormsAClusterAlone() {
    assertEquals(List.of(), AppConfig.load(Map.of(), null).getStringList(AppConfig.SEED_NODES));
    assertEquals(List.of(), AppConfig.load(Map.of(), " ").getStringList(AppConfig.SEED_NODES));
  }

  @Test
  void aSeedNodeOfAnotherSystemOrWithoutPortIsRefusedByName() {
    for (String wrong : List.of("pekko://other@10.0.0.1:25520", "pekko://mini-ups@10.0.0.1", "10.0.0.1:25520")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> AppConfig.load(Map.of(), "pekko://mini-ups@h:1," + wrong));
      assertEquals(
          "CLUSTER_SEED_NODES: '" + wrong + "' is not a seed node address such as pekko://mini-ups@10.0.0.1:25520"
              + " (give a comma-separated list)",
          e.getMessage());
    }
  }

  @Test
  void theSplitBrainResolverKeepsTheMajority() {
    var config = AppConfig.load(Map.of(), null);
    assertEquals("keep-majority", config.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    assertEquals(5, config.getDuration("pekko.cluster.split-brain-resolver.stable-after").toSeconds());
    assertEquals(
        "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider", config.getString("pekko.cluster.downing-provider-class"));
  }

  @Test
  void shardingKeepsItsBookkeepingThroughJournalPluginsOnAPoolOfItsOwn() {
    var config = AppConfig.load(Map.of(AppConfig.DB_URL, "jdbc:postgresql://127.0.0.1:5432/x"), null);
    String journal = config.getString("pekko.cluster.sharding.journal-plugin-id");
    String snapshots = config.getString("pekko.cluster.sharding.snapshot-plugin-id");
    assertEquals(config.getString("jdbc-journal.class"), config.getString(journal + ".class"));
    assertEquals(config.getString("jdbc-journal.dao"), config.getString(journal + ".dao"));
    assertEquals(config.getString("jdbc-snapshot-store.class"), config.getString(snapshots + ".class"));
    assertEquals("sharding", config.getString(journal + ".use-shared-db"));
    assertEquals("sharding", config.getString(snapshots + ".use-shared-db"));
    var pool = config.getConfig("pekko-persistence-jdbc.shared-databases.sharding");
    assertEquals(2, pool.getInt("db.numThreads"));
    assertEquals(config.getString("pekko-persistence-jdbc.shared-databases.default.profile"), pool.getString("profile"));
    assertEquals("jdbc:postgresql://127.0.0.1:5432/x", pool.getString("db.url"));
  }
}
