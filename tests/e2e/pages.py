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


def nav(page, label):
    page.locator("#mainnav").get_by_role("link", name=label, exact=True).click()


def logout(page):
    page.click("form[action='/logout/'] button")
    page.wait_for_url("**/login/")
