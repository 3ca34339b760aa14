"""The License box: how MATLAB is licensed (server, file, account, batch token), validated as the user types."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ks_gui.core.license import BatchToken, License, LicenseError, NoKeyringError, parse_license, store_token

LICENSE_MODES = (
    ("server", "License server", "port@host, e.g. 27000@licenses.example.org"),
    ("file", "License file", "path of the .lic file"),
    ("account", "MathWorks account", "email (the password is asked when MATLAB needs it)"),
    ("token", "Batch token", "email of the token's account"),
)


class LicenseBox(QWidget):
    """`mode` and `value` are what the user sees first; `token`, `mac_address` and `keep_signed_in` show for their
    modes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = QComboBox()
        for mode, title, _hint in LICENSE_MODES:
            self.mode.addItem(title, mode)
        self.value = QLineEdit()
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("EMAIL::TOKEN (empty: the token kept in the system keyring)")
        self.remember_token = QCheckBox("Keep in the system keyring")
        self.remember_token.setChecked(True)
        self.mac_address = QLineEdit()
        self.mac_address.setPlaceholderText("MAC address of a node-locked license (optional)")
        self.keep_signed_in = QCheckBox("Keep me signed in")
        self.keep_signed_in.setToolTip(
            "Keep MATLAB's own sign-in in a Docker volume of yours, so that later sorts do not ask for the password "
            "again. The password itself is never kept. Remove the volume in View ▸ Storage to sign out."
        )
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.hide()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.mode)
        row.addWidget(self.value, stretch=1)
        extra = QHBoxLayout()
        extra.setContentsMargins(0, 0, 0, 0)
        extra.addWidget(self.token, stretch=1)
        extra.addWidget(self.remember_token)
        extra.addWidget(self.mac_address, stretch=1)
        extra.addWidget(self.keep_signed_in)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addLayout(extra)
        layout.addWidget(self.status)

        self.mode.currentIndexChanged.connect(self._mode_changed)
        for field in (self.value, self.token, self.mac_address):
            field.textChanged.connect(self._validate)
        self.keep_signed_in.toggled.connect(self._validate)
        self._mode_changed()

    def current_mode(self) -> str:
        return str(self.mode.currentData())

    def _mode_changed(self) -> None:
        self.value.setPlaceholderText(LICENSE_MODES[self.mode.currentIndex()][2])
        token_mode = self.current_mode() == "token"
        self.token.setVisible(token_mode)
        self.remember_token.setVisible(token_mode)
        self.mac_address.setVisible(self.current_mode() == "file")
        self.keep_signed_in.setVisible(self.current_mode() == "account")
        self._validate()

    def _text(self) -> str:
        value = self.value.text().strip()
        if self.current_mode() == "token" and self.token.text().strip():
            secret = self.token.text().strip()
            return f"token:{secret}" if "::" in secret else f"token:{value}::{secret}"
        return f"{self.current_mode()}:{value}"

    def license(self, use_keyring: bool = True) -> License | None:
        """The license the box describes (None when empty); raises LicenseError with a message for the user."""
        if not self.value.text().strip() and not self.token.text().strip():
            return None
        mac = self.mac_address.text().strip() if self.current_mode() == "file" else ""
        license = parse_license(
            self._text(), mac_address=mac or None, use_keyring=use_keyring, keep_signed_in=self._keeps_signin()
        )
        # Kept in the keyring when a sort starts (use_keyring), not while the form checks itself at each keystroke.
        remember = use_keyring and self.remember_token.isChecked() and bool(self.token.text().strip())
        if isinstance(license, BatchToken) and remember:
            store_token(license)  # NoKeyringError says there is no keyring; never a file
        return license

    def _keeps_signin(self) -> bool:
        return self.current_mode() == "account" and self.keep_signed_in.isChecked()

    def _validate(self) -> None:
        """As the user types: one line saying what is wrong, or what will be used (never the token)."""
        try:
            mac = self.mac_address.text().strip() if self.current_mode() == "file" else ""
            if not self.value.text().strip() and not self.token.text().strip():
                text, error = "", False
            else:
                license = parse_license(self._text(), mac_address=mac or None, keep_signed_in=self._keeps_signin())
                text, error = f"Uses the {license.describe()}.", False
        except NoKeyringError as err:
            text, error = str(err), True
        except LicenseError as err:
            text, error = str(err), True
        self.status.setStyleSheet("color: #b00020;" if error else "color: palette(mid);")
        self.status.setText(text)
        self.status.setVisible(bool(text))  # an empty line would still take its height (and the problem frame's)
        self.changed.emit()
