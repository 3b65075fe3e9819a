import django.db.models.deletion
from django.db import migrations, models

import civic311.knowledge.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("catalogue", "0001_initial"),
        ("jurisdictions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Category",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("translations", models.JSONField(blank=True, default=dict, verbose_name="translations")),
                ("slug", models.SlugField(verbose_name="slug")),
                ("name", models.CharField(max_length=120, verbose_name="name")),
                ("order", models.PositiveIntegerField(default=0, verbose_name="order")),
                ("jurisdiction", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                   related_name="knowledge_categories",
                                                   to="jurisdictions.jurisdiction")),
            ],
            options={"verbose_name": "category", "verbose_name_plural": "categories", "ordering": ["order", "name"],
                     "constraints": [models.UniqueConstraint(fields=("jurisdiction", "slug"),
                                                             name="unique_knowledge_category")]},
        ),
        migrations.CreateModel(
            name="Article",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("slug", models.SlugField(max_length=120, verbose_name="slug")),
                ("kind", models.CharField(choices=[("answer", "Question and answer"), ("how_to", "How-to guide"),
                                                   ("video", "Video")], default="answer", max_length=10,
                                          verbose_name="kind")),
                ("tags", models.JSONField(blank=True, default=list,
                                          help_text='A list of words residents use, like ["trash", "garbage"].',
                                          verbose_name="tags")),
                ("video_url", models.URLField(blank=True, verbose_name="video link")),
                ("status", models.CharField(choices=[("draft", "Draft"), ("in_review", "In review"),
                                                     ("published", "Published")], default="draft", max_length=10,
                                            verbose_name="status")),
                ("pinned", models.BooleanField(default=False, help_text="Shown first on the help home page.",
                                               verbose_name="pinned")),
                ("published_at", models.DateTimeField(blank=True, null=True, verbose_name="published at")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("view_count", models.PositiveIntegerField(default=0, editable=False, verbose_name="views")),
                ("category", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                               related_name="articles", to="knowledge.category",
                                               verbose_name="category")),
                ("jurisdiction", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="articles",
                                                   to="jurisdictions.jurisdiction")),
                ("services", models.ManyToManyField(blank=True, related_name="articles", to="catalogue.service",
                                                    verbose_name="related services")),
            ],
            options={"verbose_name": "article", "verbose_name_plural": "articles", "ordering": ["-pinned", "slug"],
                     "indexes": [models.Index(fields=["jurisdiction", "status"], name="knowledge_article_status")],
                     "constraints": [models.UniqueConstraint(fields=("jurisdiction", "slug"),
                                                             name="unique_article_slug")]},
        ),
        migrations.CreateModel(
            name="ArticleTranslation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("language", models.CharField(choices=civic311.knowledge.models.language_choices, max_length=10,
                                              verbose_name="language")),
                ("title", models.CharField(max_length=200, verbose_name="title")),
                ("summary", models.CharField(blank=True, help_text="One or two sentences: the answer in short.",
                                             max_length=500, verbose_name="summary")),
                ("body", models.TextField(blank=True, verbose_name="body (Markdown)")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="translations",
                                              to="knowledge.article")),
            ],
            options={"verbose_name": "translation", "verbose_name_plural": "translations",
                     "ordering": ["article", "language"],
                     "constraints": [models.UniqueConstraint(fields=("article", "language"),
                                                             name="unique_article_language")]},
        ),
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("article", "Article"), ("service", "Service")], max_length=10)),
                ("language", models.CharField(max_length=10)),
                ("title", models.TextField()),
                ("keywords", models.TextField(blank=True)),
                ("body", models.TextField(blank=True)),
                ("article", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                              related_name="+", to="knowledge.article")),
                ("jurisdiction", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                   to="jurisdictions.jurisdiction")),
                ("service", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                              related_name="+", to="catalogue.service")),
            ],
            options={"indexes": [models.Index(fields=["jurisdiction", "language"], name="knowledge_doc_language")]},
        ),
        migrations.CreateModel(
            name="SearchTerm",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("language", models.CharField(max_length=10)),
                ("term", models.CharField(max_length=40)),
                ("jurisdiction", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                   to="jurisdictions.jurisdiction")),
            ],
            options={"constraints": [models.UniqueConstraint(fields=("jurisdiction", "language", "term"),
                                                             name="unique_search_term")]},
        ),
    ]
