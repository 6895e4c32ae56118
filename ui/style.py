"""Constant CSS only (never user text): bigger touch targets, narrow-screen tweaks."""

import streamlit as st

_CSS = """
<style>
/* hide Streamlit's English chrome: deploy button, main menu, footer */
[data-testid="stAppDeployButton"], [data-testid="stMainMenu"], #MainMenu, footer {display: none !important;}
button[data-testid^="stBaseButton"] {min-height: 2.75rem;}
.block-container {padding-top: 2.5rem;}
@media (max-width: 640px) {
  .block-container {padding-left: 0.6rem; padding-right: 0.6rem;}
  .st-key-table_header {display: none;}
}
.st-key-cal_grid [data-testid="stVerticalBlockBorderWrapper"] {padding: 0.35rem !important;}
.st-key-cal_grid [data-testid="stHorizontalBlock"] {gap: 0.4rem;}
.st-key-cal_week button {justify-content: flex-start; text-align: left; height: 100%;}
.st-key-cal_week button * {white-space: normal !important; overflow: visible !important; text-overflow: clip !important;}
.st-key-archived_rows [data-testid="stVerticalBlockBorderWrapper"] {opacity: 0.72; background: #f4f4f4;}
</style>
"""


def apply_style() -> None:
    st.html(_CSS)
