from sqlmodel import Field, SQLModel


class District(SQLModel, table=True):
    """A county-level district (GB/T 2260 code)."""

    code: str = Field(primary_key=True, max_length=6)
    name: str = Field(max_length=50)
    city_code: str = Field(max_length=6, index=True)


class DistrictPublic(SQLModel):
    code: str
    name: str


URUMQI_CITY = "650100"
URUMQI_DISTRICTS = [
    ("650102", "天山区"),
    ("650103", "沙依巴克区"),
    ("650104", "新市区"),
    ("650105", "水磨沟区"),
    ("650106", "头屯河区"),
    ("650107", "达坂城区"),
    ("650109", "米东区"),
    ("650121", "乌鲁木齐县"),
]
