from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civic311.people.staff_pages import staff_page


@staff_page
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "work/home.html", {})
