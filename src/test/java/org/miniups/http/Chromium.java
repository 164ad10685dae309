package org.miniups.http;

import java.util.List;
import java.util.logging.Level;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import java.time.Duration;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** Debian's headless chromium and chromedriver, as the browser tests drive them. */
final class Chromium {
  private Chromium() {}

  static WebDriver headless() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    // As root in a container, without a GPU or network beyond localhost.
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1280,900");
    // The browser's console, where it reports what the Content-Security-Policy blocked.
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(new java.io.File("/usr/bin/chromedriver")).build();
    return new ChromeDriver(service, options);
  }

  /** The console lines since the last call that report a Content-Security-Policy violation. */
  static List<String> cspViolations(WebDriver browser) {
    return browser.manage().logs().get(LogType.BROWSER).getAll().stream()
        .map(LogEntry::getMessage)
        .filter(message -> message.contains("Content Security Policy"))
        .toList();
  }

  /** Waits up to 20 s; the pages re-render on live updates, so a stale element is waited out. */
  static WebDriverWait patient(WebDriver browser) {
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    wait.ignoring(StaleElementReferenceException.class);
    return wait;
  }

  static WebElement visible(WebDriverWait wait, String css) {
    return wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
  }

  static void type(WebDriverWait wait, String css, String text) {
    WebElement field = visible(wait, css);
    field.clear();
    field.sendKeys(text);
  }
}
