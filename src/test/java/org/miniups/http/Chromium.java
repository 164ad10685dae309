package org.miniups.http;

import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

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
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(new java.io.File("/usr/bin/chromedriver")).build();
    return new ChromeDriver(service, options);
  }
}
