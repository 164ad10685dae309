package org.miniups.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.miniups.shipment.Shipment;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Stored and reflected script injection, in real headless Chromium. Usernames cannot carry markup
 * (AccountRules allows letters, digits, '_', '.' and '-': the site shows the server's refusal), so
 * the payloads go where they can: the email (accepted, but no page shows it) and the package's
 * item descriptions, which Amazon sends and the owner's tracking page shows; and into the URL of
 * every page. No payload may run ({@code window.__xss} stays undefined), and the item payloads
 * must be visible as text: escaped, not dropped.
 */
class XssBrowserTest {
  private static final String SCRIPT_USERNAME = "<script>window.__xss=1</script>";
  private static final String IMG_ITEM = "<img src=x onerror=\"window.__xss=2\">";
  private static final String SCRIPT_ITEM = "<script>window.__xss=3</script>";
  private static final String ATTRIBUTE_ITEM = "\"><img src=x onerror=window.__xss=4>";

  private static TrackingFixture fixture;
  private static WebDriver browser;
  private static WebDriverWait wait;

  @BeforeAll
  static void start() throws Exception {
    fixture = new TrackingFixture();
    browser = Chromium.headless();
    wait = Chromium.patient(browser);
  }

  @AfterAll
  static void stop() {
    if (browser != null) browser.quit();
    if (fixture != null) fixture.close();
  }

  /**
   * Nothing ran: checked once the page has loaded and every image on it has finished loading or
   * failing (an injected {@code <img onerror>} runs its handler in the task that marks it broken).
   */
  private static void assertNoScriptRan(String page) {
    wait.until(
        driver -> (Boolean) ((JavascriptExecutor) driver).executeScript(
            "return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete);"));
    assertNull(((JavascriptExecutor) browser).executeScript("return window.__xss;"), "a payload ran on " + page);
  }

  private static String bodyText() {
    return browser.findElement(By.tagName("body")).getText();
  }

  @Test
  void markupInUsernamesItemsAndUrlsIsShownAsTextAndNeverRuns() throws Exception {
    browser.get(fixture.url("/#/register"));
    Chromium.type(wait, "#register-username", SCRIPT_USERNAME);
    Chromium.type(wait, "#register-password", "a long password");
    Chromium.visible(wait, "#register-submit").click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#error-text"), "username must be"));
    assertNoScriptRan("register, refused username");

    Chromium.type(wait, "#register-username", "xss-victim");
    Chromium.type(wait, "#register-email", SCRIPT_USERNAME + "@example.org");
    Chromium.visible(wait, "#register-submit").click();
    long profileId = Long.parseLong(Chromium.visible(wait, "#profile-id").getText().replaceAll("\\D", ""));
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#user"), "xss-victim"));
    assertNoScriptRan("register, welcome");

    String tn = fixture.createPackage(9001, profileId, 20, 30, List.of(
        new Shipment.Item(1, IMG_ITEM, 1), new Shipment.Item(2, SCRIPT_ITEM, 2), new Shipment.Item(3, ATTRIBUTE_ITEM, 3)))
        .trackingNumber();

    browser.get(fixture.url("/#/track/" + tn));
    wait.until(driver -> {
      if (!driver.findElements(By.cssSelector("#not-found")).isEmpty()) driver.navigate().refresh(); // not indexed yet
      return driver.findElements(By.cssSelector("#items li[data-product-id]")).size() == 3;
    });
    assertNoScriptRan("the tracking page");
    List<WebElement> items = browser.findElements(By.cssSelector("#items li[data-product-id]"));
    assertTrue(items.get(0).getText().contains(IMG_ITEM), items.get(0).getText());
    assertTrue(items.get(1).getText().contains(SCRIPT_ITEM), items.get(1).getText());
    assertTrue(items.get(2).getText().contains(ATTRIBUTE_ITEM), items.get(2).getText());
    assertEquals(0, browser.findElements(By.cssSelector("#items img, #items script")).size(), "no element made of an item");
    assertTrue(bodyText().contains("<script>"), "the literal <script> is on the page as text");

    browser.get(fixture.url("/#/packages"));
    wait.until(driver -> {
      driver.navigate().refresh(); // the index may take a moment to list a brand-new package
      return !driver.findElements(By.cssSelector("#my-packages tr[data-tracking-number='" + tn + "']")).isEmpty();
    });
    assertNoScriptRan("my packages");
    for (String page : List.of("/#/", "/#/login", "/#/fleet")) {
      browser.get(fixture.url(page));
      Chromium.visible(wait, "#user");
      assertNoScriptRan(page);
    }

    // Reflected: the payloads in the site's routes, and in API and file URLs opened directly.
    String img = "<img src=x onerror=window.__xss=5>";
    for (String page : List.of("/#/track/" + img, "/#/packages?page=" + img, "/#/" + img, "/#/login?next=" + img)) {
      browser.get(fixture.url(page));
      Chromium.visible(wait, "#main");
      assertNoScriptRan(page);
    }
    String encoded = URLEncoder.encode(SCRIPT_ITEM, StandardCharsets.UTF_8).replace("+", "%20");
    for (String path : List.of("/api/packages/" + encoded, "/" + encoded, "/api/" + encoded + "?x=" + encoded)) {
      browser.get(fixture.url(path));
      assertTrue(bodyText().contains("\"error\""), path + ": " + bodyText());
      assertNoScriptRan(path);
    }
  }
}
