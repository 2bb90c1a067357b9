"""Steps every browser journey shares."""

PASSWORD = "e2e-Secret-2026"


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    submit(page)
    page.wait_for_url(f"{base}/")


def submit(page):
    page.locator("main button[type=submit]").click()


def pick(page, selector, typed):
    """Type into a lookup box (a unit or a cadre) and take the first suggestion
    the server offers for it, as a user picks from the list under the box.

    The page must have loaded first: htmx binds the box's input handler when
    its script runs, and typing before that sends no request at all."""
    page.wait_for_load_state()
    page.fill(selector, "")
    page.locator(selector).press_sequentially(typed)
    options = page.locator(f"{selector}-options option")
    options.first.wait_for(state="attached")
    page.fill(selector, options.first.get_attribute("value"))


def nav(page, label):
    page.locator("#mainnav").get_by_role("link", name=label, exact=True).click()


def logout(page):
    page.click("form[action='/logout/'] button")
    page.wait_for_url("**/login/")
