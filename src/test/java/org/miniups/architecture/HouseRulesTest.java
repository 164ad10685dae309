package org.miniups.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The rules of the house, checked on the compiled classes:
 *
 * <ul>
 *   <li>The simulators (sim) are the course's World and Amazon stand-ins: they share the protocol
 *       (proto) and the framing (link) with UPS and nothing else.
 *   <li>Entities (truck, shipment, dispatch, effects) never touch protobuf or sockets: they speak
 *       in peer messages, and the connections translate.
 *   <li>The web (http) never reaches a connection.
 *   <li>Only the placement ({@code node.ClusterPlacement}, and the service's entity handles) touches
 *       sharding and singletons, so the testers' kit runs the very components {@code serve} runs.
 *   <li>The packages form floors: no package of org.miniups depends on another that depends back on
 *       it. The root package holds the markers and shared types and imports no other package; node
 *       (the wiring) is the top floor.
 * </ul>
 */
class HouseRulesTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("org.miniups");

  /** The actors that own sockets (WorldConnection, AmazonConnection, LinkConnection). */
  private static final DescribedPredicate<JavaClass> OUR_CONNECTIONS =
      JavaClass.Predicates.simpleNameEndingWith("Connection").and(JavaClass.Predicates.resideInAPackage("org.miniups.."));

  @Test
  void theSimulatorsImportNothingOfUpsButTheProtocolAndTheFraming() {
    noClasses()
        .that().resideInAPackage("org.miniups.sim..")
        .should().dependOnClassesThat()
        .resideInAnyPackage(
            "org.miniups.truck..", "org.miniups.shipment..", "org.miniups.dispatch..", "org.miniups.amazon..",
            "org.miniups.world..", "org.miniups.http..", "org.miniups.user..", "org.miniups.effects..", "org.miniups.db..",
            "org.miniups.relay..", "org.miniups.node..")
        .check(MAIN);
  }

  @Test
  void theRootPackageImportsNoOtherPackage() {
    noClasses()
        .that().resideInAPackage("org.miniups")
        .should().dependOnClassesThat()
        .resideInAPackage("org.miniups.*..")
        .check(MAIN);
  }

  @Test
  void entitiesNeverTouchProtobufOrSockets() {
    noClasses()
        .that().resideInAnyPackage("org.miniups.truck..", "org.miniups.shipment..", "org.miniups.dispatch..", "org.miniups.effects..")
        .should().dependOnClassesThat()
        .resideInAnyPackage("org.miniups.proto..", "com.google.protobuf..")
        .orShould().dependOnClassesThat()
        .haveFullyQualifiedName("org.apache.pekko.stream.javadsl.Tcp")
        .orShould().dependOnClassesThat(OUR_CONNECTIONS)
        .check(MAIN);
  }

  @Test
  void httpNeverReachesAConnection() {
    noClasses()
        .that().resideInAPackage("org.miniups.http..")
        .should().dependOnClassesThat(OUR_CONNECTIONS)
        .check(MAIN);
  }

  /**
   * Components say what kind of actor they start and {@code Placement} decides where: so the
   * testers' kit runs the very components {@code serve} runs, on a local placement.
   */
  @Test
  void onlyThePlacementTouchesShardingAndSingletons() {
    noClasses()
        .that().doNotHaveFullyQualifiedName("org.miniups.node.ClusterPlacement")
        .and().doNotHaveFullyQualifiedName("org.miniups.node.UpsService")
        .should().dependOnClassesThat()
        .haveFullyQualifiedName("org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding")
        .orShould().dependOnClassesThat()
        .haveFullyQualifiedName("org.apache.pekko.cluster.typed.ClusterSingleton")
        .orShould().dependOnClassesThat()
        .haveFullyQualifiedName("org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess")
        .check(MAIN);
  }

  @Test
  void thePackagesHaveNoCycles() {
    slices()
        .matching("org.miniups.(*)..")
        .should().beFreeOfCycles()
        .check(MAIN);
  }
}
