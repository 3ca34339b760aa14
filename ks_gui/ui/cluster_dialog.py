"""Tools → Add a SLURM cluster…: where the cluster is asked (this computer is its login node, or a login node over
SSH), what runs on its nodes, and what each job asks for. Adding asks the cluster for its partitions: what does not
work is said here, and nothing is remembered."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QSpinBox, QWidget

from ks_gui.core.doors.clusters import Cluster, SlurmOptions, remember_cluster, remembered_cluster
from ks_gui.ui.check_and_add import CheckAndAddDialog, path_map_of

RUNNERS = {
    "python": "Kilosort 4 in a Python environment on shared storage",
    "apptainer": "A container through Apptainer (a SIF file)",
    "docker": "Docker on the node",
}


class ClusterDialog(CheckAndAddDialog):
    def __init__(self, parent: QWidget | None = None, login: str = "") -> None:
        super().__init__(
            parent,
            "Add a SLURM cluster",
            "Each recording becomes one SLURM job. Leave the login node empty when this computer is one; otherwise "
            "ks-gui logs in with your SSH keys. Recordings and results must be on storage the nodes see too.",
        )
        known = remembered_cluster(f"slurm+{login}" if login else "slurm")
        self.login = QLineEdit(login)
        self.login.setPlaceholderText("empty: this computer; or ssh://me@login.cluster.example.org")
        self.runs = QComboBox()
        for key, text in RUNNERS.items():
            self.runs.addItem(text, key)
        self.runs.setCurrentIndex(max(0, self.runs.findData(known.runs)))
        self.python_env = QLineEdit(known.python_env)
        self.python_env.setPlaceholderText("/shared/lab/ks4-env (ks-gui install kilosort4 --into …)")
        self.sif = QLineEdit(known.sif)
        self.sif.setPlaceholderText("/shared/lab/kilosort2.5.sif (ks-gui image sif …)")
        options = known.options
        self.partition = QLineEdit(options.partition)
        self.partition.setPlaceholderText("the cluster's default")
        self.time_limit = QLineEdit(options.time)
        self.time_limit.setPlaceholderText("e.g. 4:00:00")
        self.memory = QLineEdit(options.memory)
        self.memory.setPlaceholderText("e.g. 64G")
        self.cpus = QSpinBox()
        self.cpus.setRange(0, 256)
        self.cpus.setSpecialValueText("the cluster's default")
        self.cpus.setValue(options.cpus)
        self.gpus = QSpinBox()
        self.gpus.setRange(0, 8)
        self.gpus.setSuffix(" per job")
        self.gpus.setValue(options.gpus)
        self.account = QLineEdit(options.account)
        self.qos = QLineEdit(options.qos)
        self.extra = QPlainTextEdit("\n".join(options.extra))
        self.extra.setPlaceholderText("more #SBATCH lines, one per line, e.g. --constraint=a100")
        self.extra.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.path_map = self.path_map_field(
            "\n".join(known.path_map.texts()),
            "/mnt/lab=/data/lab   (one LOCAL=CLUSTER per line; empty: same paths)",
            lines=3,
        )
        rows: list[tuple[str, QWidget]] = [
            ("Login node", self.login),
            ("On the nodes", self.runs),
            ("Python environment", self.python_env),
            ("Apptainer image", self.sif),
            ("Partition", self.partition),
            ("Time limit", self.time_limit),
            ("Memory", self.memory),
            ("CPUs", self.cpus),
            ("GPUs", self.gpus),
            ("Account", self.account),
            ("QoS", self.qos),
            ("More #SBATCH", self.extra),
            ("Path map", self.path_map),
        ]
        self.lay_out(rows, min_width=620)
        self.runs.currentIndexChanged.connect(self._runner_changed)
        self._runner_changed()

    def _runner_changed(self) -> None:
        runs = self.runs.currentData()
        self.python_env.setEnabled(runs == "python")
        self.sif.setEnabled(runs == "apptainer")

    def cluster(self) -> tuple[str, Cluster]:
        """The place name and the cluster the fields describe; ValueError in words for a bad path map or a job
        option SLURM would refuse."""
        login = self.login.text().strip()
        options = SlurmOptions(
            partition=self.partition.text().strip(),
            time=self.time_limit.text().strip(),
            memory=self.memory.text().strip(),
            cpus=self.cpus.value(),
            gpus=self.gpus.value(),
            account=self.account.text().strip(),
            qos=self.qos.text().strip(),
            extra=tuple(line.strip() for line in self.extra.toPlainText().splitlines() if line.strip()),
        )
        cluster = Cluster(
            options=options,
            runs=self.runs.currentData(),
            python_env=self.python_env.text().strip(),
            sif=self.sif.text().strip(),
            path_map=path_map_of(self.path_map),
        )
        if problems := options.problems():  # checked before the cluster is asked or remembered
            raise ValueError(problems[0][1])
        return (f"slurm+{login}" if login else "slurm"), cluster

    def check_and_add(self) -> None:
        try:
            name, cluster = self.cluster()
        except ValueError as err:
            self.status.setText(str(err))
            return

        def answered(said: object) -> None:
            if isinstance(said, list) and all(check.ok or check.name == "Partition" for check in said):
                remember_cluster(name, cluster)
                self.added = name
                self.accept()
            elif isinstance(said, list):
                failing = next(check for check in said if not check.ok)
                self.status.setText(f"{failing.name}: {failing.detail}")
            else:
                self.status.setText(getattr(said, "message", str(said)))

        self.check_off_thread("Asking the cluster…", lambda: _reach(name, cluster), answered)


def _reach(name: str, cluster: Cluster) -> list:
    """The cluster's checks (blocking: off the GUI thread)."""
    from ks_gui.core.setup.cluster_checks import cluster_checks

    return cluster_checks(name, cluster)
