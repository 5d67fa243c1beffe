"""What browser tests do in Chromium that is not what they test: signing in."""


def sign_in(page, live_server, username: str, password: str) -> None:
    """Through the login page; lands on the home page."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button.btn-primary")
    page.wait_for_url(f"{live_server.url}/")
