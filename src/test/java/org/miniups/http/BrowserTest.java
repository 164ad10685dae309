package org.miniups.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.miniups.TestCargo;
import org.miniups.shipment.Shipment;
import org.miniups.truck.Cargo;
import org.miniups.truck.Location;
import org.miniups.truck.Truck;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web site in real headless Chromium (Debian's chromium and chromedriver): a person registers,
 * logs in, finds their package in My packages, changes its destination before the truck leaves,
 * and watches it reach "delivered" on the tracking page without reloading. Screenshots of each
 * step go to target/screenshots/ for review.
 */
class BrowserTest {
  private static final Path SCREENSHOTS = Path.of("target", "screenshots");
  private static TrackingFixture fixture;
  private static WebDriver browser;
  private static WebDriverWait wait;

  @BeforeAll
  static void start() throws Exception {
    fixture = new TrackingFixture();
    browser = Chromium.headless();
    wait = Chromium.patient(browser);
    Files.createDirectories(SCREENSHOTS);
  }

  @AfterAll
  static void stop() {
    if (browser != null) browser.quit();
    if (fixture != null) fixture.close();
  }

  /** Registers through the site (email optional) and returns the profile id it shows. */
  private static long register(String username, String password, String email) {
    browser.get(fixture.url("/#/register"));
    Chromium.type(wait, "#register-username", username);
    Chromium.type(wait, "#register-password", password);
    if (email != null) Chromium.type(wait, "#register-email", email);
    Chromium.visible(wait, "#register-submit").click();
    return Long.parseLong(Chromium.visible(wait, "#profile-id").getText().replaceAll("\\D", ""));
  }

  private static void screenshot(String name) throws Exception {
    Files.write(SCREENSHOTS.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
  }

  @Test
  void registerFindMyPackageRedirectItAndWatchItArrive() throws Exception {
    browser.get(fixture.url("/"));
    Chromium.visible(wait, "#tracking-input");
    screenshot("01-home");

    long profileId = register("margaret", "apollo guidance", "margaret@example.org");
    screenshot("02-registered");

    // Amazon's pickup names her profile id: the package is hers.
    long shipId = 4242;
    String tn = fixture.createPackage(shipId, profileId, 20, 30).trackingNumber();

    Chromium.visible(wait, "#logout").click();
    Chromium.visible(wait, "#nav-login").click(); // logged out: the header offers to log in again
    Chromium.type(wait, "#login-username", "margaret");
    Chromium.type(wait, "#login-password", "apollo guidance");
    Chromium.visible(wait, "#login-submit").click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#user"), "margaret"));

    browser.get(fixture.url("/#/packages"));
    WebElement row = wait.until(driver -> {
      driver.navigate().refresh(); // the index may take a moment to list a brand-new package
      List<WebElement> rows = driver.findElements(By.cssSelector("#my-packages tr[data-tracking-number='" + tn + "']"));
      return rows.isEmpty() ? null : rows.get(0);
    });
    assertTrue(row.getText().contains("created"), row.getText());
    screenshot("03-my-packages");

    browser.get(fixture.url("/#/track/" + tn));
    wait.until(ExpectedConditions.attributeToBe(By.cssSelector("#status"), "data-status", "created"));
    Chromium.type(wait, "#dest-x", "-15");
    Chromium.type(wait, "#dest-y", "25");
    Chromium.visible(wait, "#change-destination").click();
    wait.until(ExpectedConditions.textToBe(By.cssSelector("#destination-message"), "Destination changed to (-15, 25)."));
    assertEquals("-15", browser.findElement(By.cssSelector("#map-destination")).getAttribute("data-x"));
    screenshot("04-destination-changed");

    // The truck collects it; the page follows live, without a reload.
    Object marker = ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("return window.__noReload = 'still here';");
    fixture.assignTruck(shipId, 20, 30);
    wait.until(ExpectedConditions.attributeToBe(By.cssSelector("#status"), "data-status", "truck en route to warehouse"));
    Chromium.visible(wait, "#map-truck"); // the truck on its way, on the map
    screenshot("05-truck-on-its-way");
    fixture.truckArrives();
    fixture.loaded(shipId);
    wait.until(ExpectedConditions.attributeToBe(By.cssSelector("#status"), "data-status", "out for delivery"));
    assertTrue(browser.findElement(By.cssSelector("#change-destination")).getAttribute("disabled") != null,
        "the form is disabled once the package is out for delivery");
    screenshot("06-out-for-delivery");

    fixture.delivered(shipId);
    wait.until(ExpectedConditions.attributeToBe(By.cssSelector("#status"), "data-status", "delivered"));
    assertEquals(marker, ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("return window.__noReload;"),
        "the page was never reloaded");
    assertEquals("-15", browser.findElement(By.cssSelector("#map-destination")).getAttribute("data-x"));
    List<WebElement> timeline = browser.findElements(By.cssSelector("#timeline li"));
    assertEquals("delivered", timeline.get(timeline.size() - 1).getAttribute("data-status"));
    // The server ends the stream after "delivered"; the page stops listening rather than reconnecting.
    wait.until(ExpectedConditions.textToBe(By.cssSelector("#live"), "Delivered: no more updates"));
    screenshot("07-delivered");

    // Readable on a phone.
    browser.manage().window().setSize(new Dimension(375, 812));
    Object overflow = ((org.openqa.selenium.JavascriptExecutor) browser)
        .executeScript("return document.documentElement.scrollWidth > window.innerWidth;");
    assertEquals(Boolean.FALSE, overflow, "no sideways scrolling at 375 px");
    screenshot("08-phone");
    assertEquals(List.of(), Chromium.cspViolations(browser), "every page of the walk ran under the Content-Security-Policy");
  }

  /** The site runs under its Content-Security-Policy: a script injected inline is blocked, and the browser says so. */
  @Test
  void anInjectedInlineScriptDoesNotRunUnderTheContentSecurityPolicy() {
    browser.get(fixture.url("/"));
    Chromium.visible(wait, "#tracking-input");
    assertEquals(List.of(), Chromium.cspViolations(browser), "the site itself breaks no rule of its policy");
    ((JavascriptExecutor) browser).executeScript(
        "var s = document.createElement('script'); s.textContent = 'window.injected = true'; document.body.appendChild(s);");
    assertEquals(null, ((JavascriptExecutor) browser).executeScript("return window.injected === undefined ? null : window.injected"));
    assertEquals(1, Chromium.cspViolations(browser).size(), "the browser reports the blocked script");
  }

  /**
   * A live update while the person edits the destination leaves their input alone: here the field
   * she emptied is not refilled when the destination changes elsewhere (another tab of hers).
   */
  @Test
  void aLiveUpdateLeavesTheDestinationBeingTypedAlone() throws Exception {
    long profileId = register("hedy", "frequency hopping", null);
    long shipId = 4444;
    String tn = fixture.createPackage(shipId, profileId, 5, 6).trackingNumber();

    browser.get(fixture.url("/#/track/" + tn));
    wait.until(ExpectedConditions.attributeToBe(By.cssSelector("#live"), "data-state", "on"));
    Chromium.visible(wait, "#dest-x").clear();
    fixture.changeDestination(shipId, profileId, 40, 50);
    wait.until(ExpectedConditions.attributeToBe(By.cssSelector("#map-destination"), "data-x", "40"));
    assertEquals("", browser.findElement(By.cssSelector("#dest-x")).getAttribute("value"), "the emptied field stays empty");
    assertEquals("6", browser.findElement(By.cssSelector("#dest-y")).getAttribute("value"), "the untouched field keeps what it showed");

    browser.findElement(By.cssSelector("#dest-x")).sendKeys("-15");
    Chromium.type(wait, "#dest-y", "25");
    Chromium.visible(wait, "#change-destination").click();
    wait.until(ExpectedConditions.textToBe(By.cssSelector("#destination-message"), "Destination changed to (-15, 25)."));
    assertEquals("-15", browser.findElement(By.cssSelector("#map-destination")).getAttribute("data-x"));
  }

  /** A package Amazon shipped without a profile id is claimed with its number and its destination. */
  @Test
  void anUnlinkedPackageIsClaimedWithItsDestination() throws Exception {
    register("grace", "compiler first", null);
    String tn = fixture.createPackage(4343, null, 7, 8).trackingNumber();

    browser.get(fixture.url("/#/packages"));
    Chromium.type(wait, "#claim-input", tn);
    Chromium.type(wait, "#claim-x", "7");
    Chromium.type(wait, "#claim-y", "9");
    Chromium.visible(wait, "#claim-submit").click();
    wait.until(ExpectedConditions.textToBe(By.cssSelector("#claim-message"), Shipment.CLAIM_PROOF_WRONG));
    assertTrue(browser.findElements(By.cssSelector("#login-username")).isEmpty(), "a wrong destination is no logout");

    Chromium.type(wait, "#claim-y", "8");
    Chromium.visible(wait, "#claim-submit").click();
    wait.until(ExpectedConditions.textToBe(By.cssSelector("#claim-message"), "Added " + tn + " to your packages."));
    wait.until(driver -> {
      driver.navigate().refresh(); // the index may take a moment to list it
      return !driver.findElements(By.cssSelector("#my-packages tr[data-tracking-number='" + tn + "']")).isEmpty();
    });
  }

  /**
   * The Fleet page draws each truck's planned route: from where it stands, through the warehouse it
   * is bound for, to its drops; anyone may see the page, so a drop shows only as its block's middle.
   */
  @Test
  void theFleetPageDrawsATrucksPlannedRouteThroughTheWarehouseAndItsDropsBlock() throws Exception {
    long shipId = 5151;
    fixture.createPackage(shipId, null, 23, 37);
    Cargo cargo = TestCargo.of(shipId, TrackingFixture.WAREHOUSE, new Location(23, 37));
    Truck.AssignmentReply reply =
        fixture.ups.truck(2)
            .<Truck.AssignmentReply>ask(replyTo -> new Truck.AssignPickups(List.of(cargo), replyTo), TrackingFixture.ASK)
            .toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertEquals(List.of(shipId), reply.accepted());

    browser.get(fixture.url("/#/fleet"));
    WebElement plan = Chromium.visible(wait, "#fleet-map #plan-2");
    // Truck 2 starts at (2, 0); the warehouse is at (10, 12); the drop (23, 37) lies in the block
    // whose middle is (25, 35). SVG's y grows downwards.
    assertEquals("2,0 10,-12 25,-35", plan.getAttribute("points"));
    screenshot("09-fleet-routes");
  }
}
