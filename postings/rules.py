"""The numbers of the posting rules, importable by the models (labels), the
services (checks) and the pure placement module alike. Imports nothing."""

# Rule 2: "选派到同一地、市、县或单位领导班子中挂职锻炼的干部,最多不超过2人"
# (seeds/001_85e949d3e1742e79.txt): cadres on posting in one host's leadership
# team at once, beyond which a reason must be recorded.
TEAM_LIMIT = 2
