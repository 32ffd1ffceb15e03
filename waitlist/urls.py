from django.urls import path

from waitlist import views

app_name = "waitlist"

urlpatterns = [
    path("doctors/<int:doctor_id>/waitlist/", views.join, name="join"),
    path("waitlist/", views.mine, name="mine"),
    path("waitlist/offers/<int:offer_id>/accept/", views.accept, name="accept"),
    path("waitlist/offers/<int:offer_id>/decline/", views.decline, name="decline"),
    path("waitlist/entries/<int:entry_id>/leave/", views.leave, name="leave"),
    path("desk/waitlist/", views.desk, name="desk"),
]
