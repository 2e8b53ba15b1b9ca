"""Course tooling, apart from the lecture modules: the headless run (``run``), the robustness sweep
(``sweep``), the claims report they and the site share (``report``), the website (``site``) and the
Colab/Binder links (``links``). Used through ``python -m course_utils run|sweep|site|links``.
"""
