"""Seed the category tree shown to associations. Names are French data, not UI strings.

The tree is written out here (not imported from the app) so that this migration keeps producing
the same rows whatever the code becomes. Re-running it updates names and positions in place.
"""

from django.db import migrations

# (slug, name, children)
CATEGORIES = [
    (
        "communication",
        "Communication",
        [
            ("courriel", "Courriel"),
            ("messagerie-instantanee", "Messagerie instantanée"),
            ("visioconference", "Visioconférence"),
            ("reseaux-sociaux", "Réseaux sociaux"),
            ("lettres-d-information", "Lettres d'information et listes de diffusion"),
        ],
    ),
    ("site-web", "Site web et blog", [("mesure-d-audience", "Mesure d'audience")]),
    ("partage-de-fichiers", "Partage et stockage de fichiers", []),
    (
        "bureautique",
        "Bureautique",
        [
            ("edition-collaborative", "Édition collaborative"),
            ("formulaires-et-enquetes", "Formulaires et enquêtes"),
        ],
    ),
    (
        "organisation",
        "Organisation et travail d'équipe",
        [
            ("planification-et-sondages", "Agenda, planification et sondages"),
            ("gestion-de-projet", "Gestion de projet et des tâches"),
            ("decision-collective", "Décision collective"),
        ],
    ),
    (
        "gestion-associative",
        "Gestion de l'association",
        [
            ("comptabilite", "Comptabilité"),
            ("gestion-des-adherents", "Gestion des adhérents"),
            ("dons-et-billetterie", "Dons, adhésions en ligne et billetterie"),
        ],
    ),
    ("medias", "Images, son et vidéo", []),
    ("cartographie", "Cartographie", []),
    ("formation", "Formation en ligne", []),
    ("securite", "Sécurité et vie privée", []),
    ("navigation-web", "Navigation et recherche sur le web", []),
    ("poste-de-travail", "Poste de travail et accessibilité", []),
    ("informatique", "Administration informatique", [("developpement", "Développement logiciel")]),
    ("loisirs", "Loisirs et jeux", []),
]


def seed(apps, schema_editor):
    Category = apps.get_model("shared_tools", "Category")
    for position, (slug, name, children) in enumerate(CATEGORIES, start=1):
        parent, _ = Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "parent": None, "position": position * 10}
        )
        for child_position, (child_slug, child_name) in enumerate(children, start=1):
            Category.objects.update_or_create(
                slug=child_slug, defaults={"name": child_name, "parent": parent, "position": child_position * 10}
            )


def unseed(apps, schema_editor):
    Category = apps.get_model("shared_tools", "Category")
    slugs = [slug for slug, _name, _children in CATEGORIES]
    child_slugs = [child for _slug, _name, children in CATEGORIES for child, _child_name in children]
    Category.objects.filter(slug__in=child_slugs).delete()
    Category.objects.filter(slug__in=slugs).delete()


class Migration(migrations.Migration):
    dependencies = [("shared_tools", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
